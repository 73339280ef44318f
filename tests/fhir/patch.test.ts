/**
 * PATCH with JSON Patch: every operation kind on real resources over the socket, and the JSON Patch cases
 * of FHIR's fhir-test-cases (r4/patch/json-patch-tests.json) run through the patch function the server uses.
 * Their documents are plain JSON, not resources, so they cannot be stored; the FHIRPath Patch cases
 * (fhir-patch-tests.xml) are not run: FHIRPath Patch is not supported.
 */
import { readFileSync } from 'node:fs';
import type { Patient } from '@medplum/fhirtypes';
import { FhirError } from '../../src/core/errors';
import { applyJsonPatch } from '../../src/fhir/patch';
import { fixturePath } from '../fixtures';
import { useFhirServer } from './helpers';

const fhir = useFhirServer();

interface PatchCase {
  comment: string;
  doc: unknown;
  patch: unknown[];
  expected?: unknown;
  error?: string;
}

const cases = JSON.parse(readFileSync(fixturePath('fhir-test-cases', 'r4', 'patch', 'json-patch-tests.json'), 'utf8')) as PatchCase[];

describe('fhir-test-cases JSON Patch', () => {
  test('the fixture has both successful and failing cases', () => {
    expect(cases.filter((c) => c.error).length).toBeGreaterThan(0);
    expect(cases.filter((c) => !c.error).length).toBeGreaterThan(0);
  });

  test.each(cases.filter((c) => !c.error).map((c) => [c.comment, c] as const))('%s', (_name, c) => {
    const before = JSON.stringify(c.doc);
    expect(applyJsonPatch(c.doc, c.patch)).toEqual(c.expected);
    expect(JSON.stringify(c.doc)).toBe(before);
  });

  test.each(cases.filter((c) => c.error).map((c) => [c.comment, c] as const))('%s fails with a 4xx OperationOutcome', (_name, c) => {
    let thrown: unknown;
    try {
      applyJsonPatch(c.doc, c.patch);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FhirError);
    const error = thrown as FhirError;
    expect([400, 422]).toContain(error.status);
    expect(error.outcome.resourceType).toBe('OperationOutcome');
  });
});

describe('PATCH over HTTP', () => {
  const base = (): Patient => ({
    resourceType: 'Patient',
    active: true,
    gender: 'female',
    name: [{ family: '佐藤', given: ['花子'] }],
    telecom: [{ system: 'phone', value: '03-0000-0000' }],
  });

  test.each([
    ['add a member', [{ op: 'add', path: '/birthDate', value: '1980-02-03' }], (p: Patient) => expect(p.birthDate).toBe('1980-02-03')],
    ['add to the end of an array', [{ op: 'add', path: '/name/-', value: { family: 'サトウ' } }], (p: Patient) => expect(p.name?.map((n) => n.family)).toEqual(['佐藤', 'サトウ'])],
    ['insert into an array', [{ op: 'add', path: '/name/0', value: { family: 'First' } }], (p: Patient) => expect(p.name?.[0].family).toBe('First')],
    ['remove', [{ op: 'remove', path: '/telecom' }], (p: Patient) => expect(p.telecom).toBeUndefined()],
    ['replace', [{ op: 'replace', path: '/gender', value: 'male' }], (p: Patient) => expect(p.gender).toBe('male')],
    ['move', [{ op: 'move', from: '/name/0/given', path: '/name/0/prefix' }], (p: Patient) => expect([p.name?.[0].prefix, p.name?.[0].given]).toEqual([['花子'], undefined])],
    ['copy', [{ op: 'copy', from: '/name/0', path: '/name/1' }], (p: Patient) => expect(p.name).toHaveLength(2)],
    ['test then replace', [{ op: 'test', path: '/active', value: true }, { op: 'replace', path: '/active', value: false }], (p: Patient) => expect(p.active).toBe(false)],
  ])('%s', async (_label, operations, check) => {
    const created = await fhir.create(base());
    const res = await fhir.patch(`Patient/${created.id}`, operations);
    expect(res.status).toBe(200);
    expect(res.body.meta.versionId).toBe('2');
    expect(res.headers.etag).toBe('W/"2"');
    check(res.body);
    const read = await fhir.get(`Patient/${created.id}`);
    check(read.body);
  });

  test.each([
    ['a failed test', [{ op: 'test', path: '/active', value: false }], 422],
    ['a path that does not exist', [{ op: 'remove', path: '/deceasedBoolean' }], 400],
    ['an unknown op', [{ op: 'frobnicate', path: '/active' }], 400],
    ['a body that is not an array', { op: 'replace', path: '/active', value: false }, 400],
    ['a change of id', [{ op: 'replace', path: '/id', value: 'other' }], 400],
    ['a result that is not a valid Patient', [{ op: 'add', path: '/birthDate', value: 'soon' }], 400],
    ['a value of the wrong type', [{ op: 'replace', path: '/active', value: 'yes' }], 400],
  ])('%s is rejected and nothing is written', async (_label, operations, status) => {
    const created = await fhir.create(base());
    const res = await fhir.patch(`Patient/${created.id}`, operations);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await fhir.get(`Patient/${created.id}`)).body.meta.versionId).toBe('1');
  });

  test('If-Match guards a PATCH', async () => {
    const created = await fhir.create(base());
    const stale = await fhir.patch(`Patient/${created.id}`, [{ op: 'replace', path: '/gender', value: 'male' }]).set('If-Match', 'W/"7"');
    expect(stale.status).toBe(412);
    const fresh = await fhir.patch(`Patient/${created.id}`, [{ op: 'replace', path: '/gender', value: 'male' }]).set('If-Match', 'W/"1"');
    expect(fresh.status).toBe(200);
  });

  test('PATCH of an unknown resource is 404, of a deleted one 410', async () => {
    expect((await fhir.patch('Patient/not-there', [{ op: 'replace', path: '/active', value: false }])).status).toBe(404);
    const created = await fhir.create(base());
    await fhir.delete(`Patient/${created.id}`);
    expect((await fhir.patch(`Patient/${created.id}`, [{ op: 'replace', path: '/active', value: false }])).status).toBe(410);
  });

  test('PATCH in a transaction takes a Binary JSON Patch', async () => {
    const created = await fhir.create(base());
    const data = Buffer.from(JSON.stringify([{ op: 'replace', path: '/gender', value: 'other' }])).toString('base64');
    const res = await fhir.post('', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data }, request: { method: 'PATCH', url: `Patient/${created.id}` } }],
    });
    expect(res.status).toBe(200);
    expect((await fhir.get(`Patient/${created.id}`)).body.gender).toBe('other');
  });
});
