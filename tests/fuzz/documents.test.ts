/**
 * Hostile documents over real HTTP against one server: CDA referral letters at POST /fhir/$import-cda
 * (mutated bytes, XML tokens inserted, nesting deeper than any letter), DICOM Part 10 files at STOW-RS
 * (the fixtures' headers mutated) and STOW-RS multipart bodies (boundaries, delimiters, part headers and
 * Content-Types generated). No answer is a 5xx or takes longer than a few seconds; every refusal says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildMultipart } from '../../src/dicomweb/multipart';
import { CT_FILES, ENHANCED_CT_FILE, JAPANESE_FILE } from '../dicomweb/support';
import { cdaFacilityCode, createFacility } from '../ingest/support';
import { startTestServer, TestServer } from '../support/server';
import { expectNoServerError } from './answers';
import { applyEdit, byteEdit, insertAt } from './mutate';
import { optionsFor } from './runs';

const LETTER = fs.readFileSync(path.join(__dirname, '..', 'mapping', 'cda', 'referral-jmix.xml'));
const DICOM_FILES = [...CT_FILES, ENHANCED_CT_FILE, JAPANESE_FILE].map((file) => fs.readFileSync(file));
/** What one answer may take before it counts as a hang. */
const ANSWER_WITHIN_MS = 10_000;

let server: TestServer;
let clinicianToken: string;
let gatewayToken: string;
beforeAll(async () => {
  server = await startTestServer();
  const organization = await createFacility(server, cdaFacilityCode(LETTER.toString('utf8')));
  clinicianToken = await server.clientToken({ role: 'clinician', organization });
  gatewayToken = await server.clientToken({ role: 'gateway', organization });
});
afterAll(async () => server?.close());

function post(url: string, token: string, contentType: string, body: Buffer): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
}

const XML_TOKENS = [
  '<', '>', '&', '&amp;', '&#0;', '&#x110000;', '&#xD800;', '&nbsp;', '&unknown;', '<![CDATA[', ']]>', '<!--', '-->', '<?pi x?>',
  '<?xml version="1.0" encoding="shift_jis"?>', '<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>', ' xmlns="urn:other"', ' xmlns:h="urn:hl7-org:v3"',
  ' xsi:type="CD"', ' extension="', '"', "'", '\u0000', '\uffff', '山田', '<h:id root="1.2" extension="x"/>', '<value xsi:type="PQ" value="x" unit=""/>',
  '<effectiveTime value="99999999999999+9999"/>', '<section><title/><text/></section>', '</ClinicalDocument>',
];
type Edit = (bytes: Buffer) => Buffer;
const xmlEdit: fc.Arbitrary<Edit> = fc.oneof(
  byteEdit().map((edit): Edit => (bytes) => applyEdit(bytes, edit)),
  fc.tuple(fc.nat(), fc.constantFrom(...XML_TOKENS)).map(([at, token]): Edit => (bytes) => insertAt(bytes, at, token)),
  // Nesting far deeper than any letter, inside the body: the parser and the mapper walk it.
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 2_000 })).map(([at, depth]): Edit => (bytes) => insertAt(bytes, at, `${'<component>'.repeat(depth)}${'</component>'.repeat(depth)}`))
);

test('mutated CDA letters: no 5xx, no hang, every refusal an OperationOutcome with a reason', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(xmlEdit, { minLength: 1, maxLength: 6 }), fc.constantFrom('application/cda+xml', 'application/xml', 'text/xml; charset=shift_jis'), async (edits, contentType) => {
      const body = edits.reduce<Buffer>((bytes, edit) => edit(bytes), LETTER);
      const res = await post(`${server.fhirUrl}/$import-cda`, clinicianToken, contentType, body);
      await expectNoServerError(res, `$import-cda of ${body.length} bytes`);
    }),
    optionsFor(15)
  );
});

/** Edits inside the first 4 KB of a DICOM file, where its meta header and the study's attributes are. */
const HEADER_BYTES = 4096;

test('mutated DICOM Part 10 files at STOW-RS: no 5xx, no hang, every failure with a comment', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...DICOM_FILES), fc.array(byteEdit(), { minLength: 1, maxLength: 8 }), async (file, edits) => {
      const mutated = edits.reduce<Buffer>((bytes, edit) => applyEdit(bytes, edit, HEADER_BYTES), file);
      const { contentType, body } = buildMultipart([{ contentType: 'application/dicom', body: mutated }], 'application/dicom');
      const res = await post(`${server.url}/dicomweb/studies`, gatewayToken, contentType, body);
      await expectNoServerError(res, `STOW-RS of a ${mutated.length}-byte DICOM file`);
    }),
    optionsFor(20)
  );
});

const BOUNDARY = fc.oneof(fc.constantFrom('b', 'tonet-1', '', 'x'.repeat(71), 'a b', '"q"', '--', 'é'), fc.string({ maxLength: 20 }));
const LINE_END = fc.constantFrom('\r\n', '\n', '', '\r');
const PART_HEADER = fc.oneof(fc.constantFrom('Content-Type: application/dicom', 'Content-Type: text/plain', 'no colon here', ': empty name', 'Content-Length: 99999999', ''), fc.string({ maxLength: 40 }));
const PART_BODY = fc.oneof(fc.constantFrom(...DICOM_FILES.slice(0, 2)), fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)));
const MEDIA_TYPE = fc.constantFrom('multipart/related; type="application/dicom"; boundary=', 'multipart/related; boundary=', 'multipart/related; type=application/dicom; boundary="', 'multipart/mixed; boundary=', 'application/dicom; boundary=', '');

test('generated STOW-RS multipart bodies: no 5xx, no hang, every refusal with a reason', async () => {
  const part = fc.record({ headers: fc.array(PART_HEADER, { maxLength: 3 }), lineEnd: LINE_END, body: PART_BODY, dashes: fc.constantFrom('--', '-', '---') });
  await fc.assert(
    fc.asyncProperty(BOUNDARY, MEDIA_TYPE, fc.array(part, { maxLength: 3 }), fc.constantFrom('--\r\n', '--', '', '\r\n', '-'), fc.option(fc.string({ maxLength: 20 })), async (boundary, mediaType, parts, close, preamble) => {
        const chunks: Buffer[] = preamble ? [Buffer.from(`${preamble}\r\n`)] : [];
        for (const p of parts) {
          chunks.push(Buffer.from(`${p.dashes}${boundary}${p.lineEnd}${p.headers.map((h) => `${h}${p.lineEnd}`).join('')}${p.lineEnd}`, 'utf8'), p.body, Buffer.from(p.lineEnd));
        }
        chunks.push(Buffer.from(`--${boundary}${close}`, 'utf8'));
        const res = await post(`${server.url}/dicomweb/studies`, gatewayToken, `${mediaType}${boundary}`.replace(/[\r\n]/g, ''), Buffer.concat(chunks));
        await expectNoServerError(res, `STOW-RS multipart with boundary ${JSON.stringify(boundary)}`);
      }
    ),
    optionsFor(40)
  );
});
