/**
 * One DICOM image for the browser: the instance fetched from Tonet's WADO-RS (multipart/related, with the
 * signed-in person's token), parsed with dicom-parser and drawn as 8-bit grey with the image's own window.
 * Uncompressed monochrome pixel data only; compressed transfer syntaxes need a codec the console does not ship.
 */
import { DataSet, parseDicom } from 'dicom-parser';
import { currentToken } from '../auth/session';

export interface ImageRef {
  studyUid: string;
  seriesUid: string;
  instanceUid: string;
}

export interface DicomImage {
  columns: number;
  rows: number;
  /** Grey levels 0–255, row by row. */
  grey: Uint8ClampedArray;
}

/** Transfer syntaxes whose pixel data is stored as it is (implicit/explicit VR little endian, explicit big endian). */
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

export async function fetchImage(ref: ImageRef): Promise<DicomImage> {
  const res = await fetch(`/dicomweb/studies/${ref.studyUid}/series/${ref.seriesUid}/instances/${ref.instanceUid}`, {
    headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*', authorization: `Bearer ${currentToken() ?? ''}` },
  });
  if (!res.ok) throw new Error(`WADO-RS ${res.status}`);
  const boundary = /boundary="?([^";]+)"?/i.exec(res.headers.get('content-type') ?? '')?.[1];
  if (!boundary) throw new Error('WADO-RS answer has no multipart boundary');
  return decode(firstPart(new Uint8Array(await res.arrayBuffer()), boundary));
}

/** The body of the first part of a multipart/related answer (headers end at the first blank line). */
function firstPart(body: Uint8Array, boundary: string): Uint8Array {
  const text = new TextDecoder('latin1').decode(body);
  const start = text.indexOf(`--${boundary}`);
  const headersEnd = text.indexOf('\r\n\r\n', start);
  const end = text.indexOf(`\r\n--${boundary}`, headersEnd);
  if (start < 0 || headersEnd < 0 || end < 0) throw new Error('WADO-RS answer is not multipart/related');
  return body.subarray(headersEnd + 4, end);
}

function decode(bytes: Uint8Array): DicomImage {
  const data = parseDicom(bytes);
  const syntax = data.string('x00020010');
  if (!syntax || !UNCOMPRESSED.has(syntax)) throw new Error(`Transfer syntax ${syntax} is compressed; the console shows uncompressed images only`);
  const rows = data.uint16('x00280010') ?? 0;
  const columns = data.uint16('x00280011') ?? 0;
  const bitsAllocated = data.uint16('x00280100') ?? 16;
  const signed = data.uint16('x00280103') === 1;
  const slope = data.floatString('x00281053') ?? 1;
  const intercept = data.floatString('x00281052') ?? 0;
  const pixels = data.elements.x7fe00010;
  if (!pixels || !rows || !columns) throw new Error('The instance has no pixel data');
  const bigEndian = syntax === '1.2.840.10008.1.2.2';
  const view = new DataView(bytes.buffer, bytes.byteOffset + pixels.dataOffset, pixels.length);
  const count = rows * columns;
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const raw = bitsAllocated === 8 ? view.getUint8(i) : signed ? view.getInt16(i * 2, !bigEndian) : view.getUint16(i * 2, !bigEndian);
    values[i] = raw * slope + intercept;
  }
  const [center, width] = windowOf(data, values);
  const low = center - width / 2;
  const grey = new Uint8ClampedArray(count);
  for (let i = 0; i < count; i++) grey[i] = ((values[i] - low) / width) * 255;
  if (data.string('x00280004') === 'MONOCHROME1') for (let i = 0; i < count; i++) grey[i] = 255 - grey[i];
  return { columns, rows, grey };
}

/** The window the modality chose (0028,1050/1051), else the full range of the values. */
function windowOf(data: DataSet, values: Float32Array): [number, number] {
  const center = data.floatString('x00281050');
  const width = data.floatString('x00281051');
  if (center !== undefined && width) return [center, width];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [(min + max) / 2, Math.max(max - min, 1)];
}
