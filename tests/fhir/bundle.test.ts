/**
 * transaction and batch Bundles: urn:uuid and conditional references, conditional create/update inside a
 * transaction, processing order, all-or-nothing with an OperationOutcome naming the failing entry, and
 * batch entries failing on their own.
 */
import type { Bundle, BundleEntry, Observation, Patient } from '@medplum/fhirtypes';
import { uniqueTag, useFhirServer } from './helpers';

const fhir = useFhirServer();

const transaction = (entry: BundleEntry[], type: 'transaction' | 'batch' = 'transaction'): Bundle => ({ resourceType: 'Bundle', type, entry });
const uuid = () => `urn:uuid:${crypto.randomUUID()}`;

describe('transaction', () => {
  test('Prefer: return=minimal answers each entry with status, location and etag, without the resource', async () => {
    const tag = uniqueTag();
    const patientUrl = uuid();
    const res = await fhir
      .post('', transaction([
        { fullUrl: patientUrl, resource: { resourceType: 'Patient', name: [{ family: tag }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: tag }, subject: { reference: patientUrl } } as Observation, request: { method: 'POST', url: 'Observation' } },
      ]))
      .set('Prefer', 'return=minimal');
    expect(res.status).toBe(200);
    const entries = (res.body as Bundle).entry ?? [];
    expect(entries.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created']);
    expect(entries.map((e) => e.resource)).toEqual([undefined, undefined]);
    expect(entries.every((e) => /\/_history\/1$/.test(e.response?.location ?? '') && e.response?.etag === 'W/"1"')).toBe(true);
    expect((await fhir.get(`Patient?family=${tag}`)).body.total).toBe(1);
  });

  test('urn:uuid references are rewritten, also nested and in both directions of order', async () => {
    const tag = uniqueTag();
    const patientUrl = uuid();
    const encounterUrl = uuid();
    const res = await fhir.post('', transaction([
      { fullUrl: encounterUrl, resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: patientUrl } }, request: { method: 'POST', url: 'Encounter' } },
      {
        fullUrl: uuid(),
        resource: { resourceType: 'Observation', status: 'final', code: { text: tag }, subject: { reference: patientUrl }, encounter: { reference: encounterUrl }, hasMember: [{ reference: patientUrl.replace('urn', 'urn') }] } as Observation,
        request: { method: 'POST', url: 'Observation' },
      },
      { fullUrl: patientUrl, resource: { resourceType: 'Patient', name: [{ family: tag }] }, request: { method: 'POST', url: 'Patient' } },
    ]));
    expect(res.status).toBe(200);
    const bundle = res.body as Bundle;
    expect(bundle.type).toBe('transaction-response');
    expect(bundle.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created', '201 Created']);
    const [encLocation, obsLocation, patLocation] = bundle.entry?.map((e) => e.response?.location as string) ?? [];
    const patientId = patLocation.match(/Patient\/([^/]+)/)?.[1];
    const encounterId = encLocation.match(/Encounter\/([^/]+)/)?.[1];
    const obs = (await fhir.get(obsLocation.replace(/^.*\/fhir\//, ''))).body as Observation;
    expect(obs.subject?.reference).toBe(`Patient/${patientId}`);
    expect(obs.encounter?.reference).toBe(`Encounter/${encounterId}`);
    expect((await fhir.get(`Observation?subject=Patient/${patientId}`)).body.total).toBe(1);
    expect(JSON.stringify(obs)).not.toContain('urn:uuid');
  });

  test('conditional references resolve to the one match; no match fails the whole transaction', async () => {
    const tag = uniqueTag();
    const patient = await fhir.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:tx', value: tag }] });
    const ok = await fhir.post('', transaction([
      { resource: { resourceType: 'Observation', status: 'final', code: { text: tag }, subject: { reference: `Patient?identifier=urn:tx|${tag}` } }, request: { method: 'POST', url: 'Observation' } },
    ]));
    expect(ok.status).toBe(200);
    expect((await fhir.get(`Observation?subject=Patient/${patient.id}`)).body.total).toBe(1);

    const failing = await fhir.post('', transaction([
      { resource: { resourceType: 'Observation', status: 'final', code: { text: `${tag}-2` } }, request: { method: 'POST', url: 'Observation' } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: `${tag}-2` }, subject: { reference: 'Patient?identifier=urn:tx|nobody' } }, request: { method: 'POST', url: 'Observation' } },
    ]));
    expect(failing.status).toBeGreaterThanOrEqual(400);
    expect(failing.status).toBeLessThan(500);
    expect(failing.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(failing.body)).toContain('Bundle.entry[1]');
    expect((await fhir.get(`Observation?code:text=${tag}-2`)).body.total).toBe(0);
  });

  test.each([
    ['an invalid resource', { resource: { resourceType: 'Patient', gender: 'robot' }, request: { method: 'POST', url: 'Patient' } }],
    ['a malformed resource', { resource: { resourceType: 'Patient', birthDate: 'yesterday' }, request: { method: 'POST', url: 'Patient' } }],
    ['a failed If-Match', { resource: { resourceType: 'Patient', id: 'tx-ifmatch' }, request: { method: 'PUT', url: 'Patient/tx-ifmatch', ifMatch: 'W/"9"' } }],
    ['a read of a missing resource', { request: { method: 'GET', url: 'Patient/tx-missing' } }],
    ['a PUT whose id differs from the URL', { resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/b' } }],
    ['an unknown type', { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Nothing' } }],
  ] as [string, BundleEntry][])('all or nothing: %s in the third entry rolls back the others', async (_label, failing) => {
    const tag = uniqueTag();
    const existing = await fhir.create<Patient>({ resourceType: 'Patient', name: [{ family: `${tag}-old` }] });
    const res = await fhir.post('', transaction([
      { resource: { resourceType: 'Patient', name: [{ family: tag }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { ...existing, name: [{ family: `${tag}-new` }] }, request: { method: 'PUT', url: `Patient/${existing.id}` } },
      failing,
    ]));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body.issue)).toContain('Bundle.entry[2]');
    expect((await fhir.get(`Patient?family=${tag}`)).body.total).toBe(1);
    expect((await fhir.get(`Patient/${existing.id}`)).body.meta.versionId).toBe('1');
  });

  test('conditional create and conditional update inside a transaction', async () => {
    const tag = uniqueTag();
    const existing = await fhir.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:cc', value: tag }] });
    const patientUrl = uuid();
    const res = await fhir.post('', transaction([
      { fullUrl: patientUrl, resource: { resourceType: 'Patient', identifier: [{ system: 'urn:cc', value: tag }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=urn:cc|${tag}` } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: tag }, subject: { reference: patientUrl } }, request: { method: 'POST', url: 'Observation' } },
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:cu', value: tag }], name: [{ family: 'CondUpd' }] }, request: { method: 'PUT', url: `Patient?identifier=urn:cu|${tag}` } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: BundleEntry) => e.response?.status)).toEqual(['200 OK', '201 Created', '201 Created']);
    expect((await fhir.get(`Patient?identifier=urn:cc|${tag}`)).body.total).toBe(1);
    expect((await fhir.get(`Observation?subject=Patient/${existing.id}`)).body.total).toBe(1);
    const again = await fhir.post('', transaction([
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:cu', value: tag }], name: [{ family: 'CondUpd2' }] }, request: { method: 'PUT', url: `Patient?identifier=urn:cu|${tag}` } },
    ]));
    expect(again.body.entry[0].response.status).toBe('200 OK');
    const found = (await fhir.get(`Patient?identifier=urn:cu|${tag}`)).body as Bundle<Patient>;
    expect(found.total).toBe(1);
    expect(found.entry?.[0].resource?.name?.[0].family).toBe('CondUpd2');
  });

  test('DELETE, POST, PUT and GET entries run in that order; responses keep request order', async () => {
    const tag = uniqueTag();
    const doomed = await fhir.create<Patient>({ resourceType: 'Patient', name: [{ family: tag }] });
    const res = await fhir.post('', transaction([
      { request: { method: 'GET', url: `Patient?family=${tag}` } },
      { resource: { resourceType: 'Patient', id: `${tag}-put`, name: [{ family: tag }] }, request: { method: 'PUT', url: `Patient/${tag}-put` } },
      { resource: { resourceType: 'Patient', name: [{ family: tag }] }, request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'DELETE', url: `Patient/${doomed.id}` } },
    ]));
    expect(res.status).toBe(200);
    const entries = res.body.entry as BundleEntry[];
    expect(entries.map((e) => e.response?.status.slice(0, 3))).toEqual(['200', '201', '201', '200']);
    // The GET ran last: it sees the two new patients and not the deleted one.
    expect((entries[0].resource as Bundle).total).toBe(2);
  });
});

describe('batch', () => {
  test('each entry succeeds or fails on its own', async () => {
    const tag = uniqueTag();
    const res = await fhir.post('', transaction([
      { resource: { resourceType: 'Patient', name: [{ family: tag }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Patient', gender: 'robot' } as unknown as Patient, request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'GET', url: 'Patient/batch-missing' } },
      { request: { method: 'GET', url: `Patient?family=${tag}` } },
    ], 'batch'));
    expect(res.status).toBe(200);
    const entries = res.body.entry as BundleEntry[];
    expect(res.body.type).toBe('batch-response');
    expect(entries.map((e) => e.response?.status.slice(0, 3))).toEqual(['201', '422', '404', '200']);
    expect(entries[1].response?.outcome?.resourceType).toBe('OperationOutcome');
    expect((entries[3].resource as Bundle).total).toBe(1);
  });

  test('conditional references resolve in a batch too', async () => {
    const tag = uniqueTag();
    const patient = await fhir.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:batch', value: tag }] });
    const res = await fhir.post('', transaction([
      { resource: { resourceType: 'Observation', status: 'final', code: { text: tag }, subject: { reference: `Patient?identifier=urn:batch|${tag}` } }, request: { method: 'POST', url: 'Observation' } },
    ], 'batch'));
    expect(res.body.entry[0].response.status).toMatch(/^201/);
    expect((await fhir.get(`Observation?subject=Patient/${patient.id}`)).body.total).toBe(1);
  });
});

describe('malformed bundles', () => {
  test.each([
    ['a collection bundle', { resourceType: 'Bundle', type: 'collection', entry: [] }],
    ['a Patient posted to the base', { resourceType: 'Patient' }],
    ['an entry without request', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient' } }] }],
    ['an entry with an unsupported method', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'TRACE', url: 'Patient' } }] }],
    ['entries that are not an array', { resourceType: 'Bundle', type: 'batch', entry: { request: { method: 'GET', url: 'Patient' } } }],
  ])('%s is 400', async (_label, body) => {
    const res = await fhir.post('', body);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
