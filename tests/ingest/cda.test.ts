import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, TestServer } from '../support/server';
import { cdaFacilityCode, createFacility } from './support';

// A referral letter in the HL7 Japan header shape, written for the mapping tests (no public sample exists).
const LETTER = fs.readFileSync(path.join(__dirname, '..', 'mapping', 'cda', 'referral-jmix.xml'));

let server: TestServer;
let clinicianToken: string;

beforeAll(async () => {
  server = await startTestServer();
  // The letter names its own facility; the clinician importing it works there.
  const organization = await createFacility(server, cdaFacilityCode(LETTER.toString('utf8')));
  clinicianToken = await server.clientToken({ role: 'clinician', organization });
});
afterAll(async () => server?.close());

async function importCda(body: Buffer | string, contentType = 'application/cda+xml', token = clinicianToken) {
  const res = await fetch(`${server.fhirUrl}/$import-cda`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as any };
}

test('a CDA referral letter is stored as a document Bundle and a DocumentReference keeping the XML', async () => {
  const { status, body } = await importCda(LETTER);
  expect(status).toBe(201);
  const document = body.entry.find((e: any) => e.resource.resourceType === 'Bundle').resource;
  const reference = body.entry.find((e: any) => e.resource.resourceType === 'DocumentReference').resource;
  expect(document.type).toBe('document');
  expect(document.entry[0].resource.resourceType).toBe('Composition');
  expect(document.entry[0].resource.type.coding[0].code).toBe('57133-1');
  expect(Buffer.from(reference.content[0].attachment.data, 'base64').equals(LETTER)).toBe(true);
  expect(reference.subject.reference).toMatch(/^Patient\//);
  expect(reference.context.related[0].reference).toBe(`Bundle/${document.id}`);

  const again = await importCda(LETTER);
  expect(again.status).toBe(201);
  const refs = await fetch(`${server.fhirUrl}/DocumentReference?subject=${reference.subject.reference}`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(refs.total).toBe(1);
});

test('a CDA discharge summary (18842-5) is stored as a JP-CLINS eDischargeSummary document Bundle', async () => {
  const summary = fs.readFileSync(path.join(__dirname, '..', 'mapping', 'cda', 'discharge-summary.xml'));
  const hospital = await createFacility(server, cdaFacilityCode(summary.toString('utf8')), '登呂病院');
  const { status, body } = await importCda(summary, 'application/cda+xml', await server.clientToken({ role: 'clinician', organization: hospital }));
  expect(status).toBe(201);
  const document = body.entry.find((e: any) => e.resource.resourceType === 'Bundle').resource;
  expect(document.meta.profile).toContain('http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eDischargeSummary');
  expect(document.entry[0].resource).toMatchObject({ title: '退院時サマリー', type: { coding: [{ code: '18842-5' }] }, event: [{ period: { start: '2011-11-20', end: '2011-12-20' } }] });
  const reference = body.entry.find((e: any) => e.resource.resourceType === 'DocumentReference').resource;
  expect(reference.type.coding[0].code).toBe('18842-5');
  expect(reference.context.related[0].reference).toBe(`Bundle/${document.id}`);
});

test('a document that is not XML is refused with a clear 4xx', async () => {
  const { status, body } = await importCda('this is not xml <', 'application/xml');
  expect(status).toBe(422);
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue[0].diagnostics).toMatch(/unparseable/);
});

test('a letter nested deeper than any letter is, though well-formed, is refused with a 422 that says so', async () => {
  const deep = LETTER.toString('utf8').replace('<structuredBody>', `<structuredBody>${'<component>'.repeat(150)}${'</component>'.repeat(150)}`);
  expect(deep).not.toBe(LETTER.toString('utf8'));
  const { status, body } = await importCda(deep);
  expect(status).toBe(422);
  expect(body.issue[0].diagnostics).toMatch(/nested deeper than 100 levels/);
});

test.each([
  ['a raw NUL in an attribute', (xml: string) => xml.replace('<typeId ', '<typeId x="\u0000" '), /U\+0000 is not allowed/],
  ['a raw control character in text', (xml: string) => xml.replace('<title>', '<title>\u0007'), /U\+0007 is not allowed/],
  ['a NUL character reference', (xml: string) => xml.replace('<title>', '<title>&#0;'), /&#0; is not allowed/],
])('a letter with %s is refused with a 422 naming the character, not a 500', async (_what, edit, reason) => {
  const broken = edit(LETTER.toString('utf8'));
  expect(broken).not.toBe(LETTER.toString('utf8'));
  const { status, body } = await importCda(broken);
  expect(status).toBe(422);
  expect(body.issue[0].diagnostics).toMatch(reason);
});

