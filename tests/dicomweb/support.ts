/**
 * What DICOMweb tests share: the fixture files, a STOW-RS request over the real socket, and readers for the
 * DICOM JSON answer.
 */
import fs from 'node:fs';
import { buildMultipart } from '../../src/dicomweb/multipart';
import { fixturePath } from '../fixtures';
import type { TestServer } from '../support/server';

const CT_DIR = fixturePath('dicom-ct', 'testImages');

/** One CT instance in four transfer syntaxes: explicit BE, explicit LE, implicit LE, JPEG-LS. */
export const CT_FILES = [
  `${CT_DIR}/CT1_UNC.explicit_big_endian.dcm`,
  `${CT_DIR}/CT1_UNC.explicit_little_endian.dcm`,
  `${CT_DIR}/CT1_UNC.implicit_little_endian.dcm`,
  `${CT_DIR}/encapsulated/single-frame/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm`,
];
export const CT = {
  study: '1.3.6.1.4.1.5962.1.2.1.20040826185059.5457',
  series: '1.3.6.1.4.1.5962.1.3.1.1.20040826185059.5457',
  sop: '1.3.6.1.4.1.5962.1.1.1.1.1.20040826185059.5457',
  patientId: '1CT1',
};
export const ENHANCED_CT_FILE = `${CT_DIR}/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm`;
export const ENHANCED_CT = {
  study: '1.3.6.1.4.1.5962.1.2.10.1166562673.14401',
  series: '1.3.6.1.4.1.5962.1.3.10.3.1166562673.14401',
  sop: '1.2.276.0.7230010.3.1.4.0.42317.1465567242.629105',
};
export const JAPANESE_FILE = fixturePath('dicom-japanese-charset', 'chrH31.dcm');

export const read = (file: string): Buffer => fs.readFileSync(file);

export interface StowAnswer {
  status: number;
  contentType: string;
  body: any;
}

export async function stow(server: TestServer, token: string | undefined, files: Buffer[], study?: string): Promise<StowAnswer> {
  const { contentType, body } = buildMultipart(files.map((file) => ({ contentType: 'application/dicom', body: file })), 'application/dicom');
  return stowRaw(server, token, contentType, body, study);
}

export async function stowRaw(server: TestServer, token: string | undefined, contentType: string, body: Buffer, study?: string): Promise<StowAnswer> {
  const res = await fetch(`${server.url}/dicomweb/studies${study ? `/${study}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/dicom+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.json() };
}

/** Referenced SOP Sequence (0008,1199) items as plain values. */
export function referenced(answer: StowAnswer): { sopClassUid: string; sopInstanceUid: string; retrieveUrl: string }[] {
  return (answer.body['00081199']?.Value ?? []).map((item: any) => ({
    sopClassUid: item['00081150'].Value[0],
    sopInstanceUid: item['00081155'].Value[0],
    retrieveUrl: item['00081190'].Value[0],
  }));
}

/** Failed SOP Sequence (0008,1198) items as plain values. */
export function failed(answer: StowAnswer): { sopInstanceUid?: string; reason: number; comment: string }[] {
  return (answer.body['00081198']?.Value ?? []).map((item: any) => ({
    sopInstanceUid: item['00081155']?.Value?.[0],
    reason: item['00081197'].Value[0],
    comment: item['00000902'].Value[0],
  }));
}

export async function fhir(server: TestServer, path: string, token = server.adminToken): Promise<any> {
  const res = await fetch(`${server.fhirUrl}/${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export function studySearch(studyUid: string): string {
  return `ImagingStudy?identifier=${encodeURIComponent('urn:dicom:uid')}|${encodeURIComponent(`urn:oid:${studyUid}`)}`;
}
