/**
 * The instance and type interactions over a real socket: create, read, vread, update (and create-on-update),
 * delete, history, conditional create/update/delete, ETag/If-Match, Location/Last-Modified, Prefer, base paths
 * and media types.
 */
import type { Bundle, Device, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { useFhirServer, linkPath, uniqueTag } from './helpers';

const fhir = useFhirServer();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const patient = (family: string, extra: Partial<Patient> = {}): Patient => ({ resourceType: 'Patient', name: [{ family }], ...extra });

describe('create', () => {
  test('POST assigns a server UUID, version 1, and answers 201 with Location, ETag and Last-Modified', async () => {
    const res = await fhir.post('Patient', { ...patient('Create'), id: 'client-chosen' });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(UUID);
    expect(res.body.id).not.toBe('client-chosen');
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.location).toBe(`${fhir.server.fhirUrl}/Patient/${res.body.id}/_history/1`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(new Date(res.headers['last-modified']).getTime()).toBe(Math.floor(new Date(res.body.meta.lastUpdated).getTime() / 1000) * 1000);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  });

  test.each([
    ['minimal', undefined],
    ['representation', 'Patient'],
    ['OperationOutcome', 'OperationOutcome'],
  ])('Prefer: return=%s', async (prefer, resourceType) => {
    const res = await fhir.post('Patient', patient('Prefer')).set('Prefer', `return=${prefer}`);
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    if (resourceType) expect(res.body.resourceType).toBe(resourceType);
    else expect(res.text).toBe('');
  });

  test.each(['application/fhir+json', 'application/json', 'application/fhir+json; charset=utf-8', 'application/json;charset=UTF-8'])('accepts Content-Type %s', async (type) => {
    const res = await request(fhir.server.url)
      .post('/fhir/Patient')
      .set('Authorization', `Bearer ${fhir.server.adminToken}`)
      .set('Content-Type', type)
      .send(JSON.stringify(patient('MediaType')));
    expect(res.status).toBe(201);
  });

  test('an unsupported Content-Type is 415 with an OperationOutcome', async () => {
    const res = await request(fhir.server.url)
      .post('/fhir/Patient')
      .set('Authorization', `Bearer ${fhir.server.adminToken}`)
      .set('Content-Type', 'application/xml')
      .send('<Patient xmlns="http://hl7.org/fhir"/>');
    expect(res.status).toBe(415);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('base path', () => {
  test.each(['/fhir', '/fhir/'])('%s answers a system search and POSTed bundles', async (base) => {
    const tag = uniqueTag();
    await fhir.create(patient('Base', { meta: { tag: [{ code: tag }] } }));
    const auth = `Bearer ${fhir.server.adminToken}`;
    const search = await request(fhir.server.url).get(`${base}?_type=Patient&_tag=${tag}`).set('Authorization', auth);
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(1);
    const batch = await request(fhir.server.url)
      .post(base)
      .set('Authorization', auth)
      .set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Patient?_tag=${tag}` } }] });
    expect(batch.status).toBe(200);
    expect(batch.body.entry[0].resource.total).toBe(1);
  });

  test.each(['/fhir/metadata', '/fhir/metadata/'])('%s is the CapabilityStatement', async (path) => {
    const res = await request(fhir.server.url).get(path);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    // The JP Core 1.2 profiles the mapped data claims are named per resource type.
    const observation = res.body.rest[0].resource.find((resource: { type: string }) => resource.type === 'Observation');
    expect(observation.supportedProfile).toContain('http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_LabResult');
  });
});

describe('read and vread', () => {
  test('read returns the current version with ETag; vread returns each version', async () => {
    const created = await fhir.create(patient('V1'));
    const updated = await fhir.put(`Patient/${created.id}`, { ...created, name: [{ family: 'V2' }] });
    expect(updated.status).toBe(200);
    expect(updated.body.meta.versionId).toBe('2');
    const read = await fhir.get(`Patient/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.body.name[0].family).toBe('V2');
    expect(read.headers.etag).toBe('W/"2"');
    expect(read.headers['last-modified']).toBeDefined();
    for (const [version, family] of [['1', 'V1'], ['2', 'V2']]) {
      const v = await fhir.get(`Patient/${created.id}/_history/${version}`);
      expect(v.status).toBe(200);
      expect(v.body.name[0].family).toBe(family);
      expect(v.headers.etag).toBe(`W/"${version}"`);
    }
  });

  test.each([
    ['an unknown id', 'Patient/does-not-exist', 404],
    ['an unknown version', 'Patient/{id}/_history/9', 404],
    ['a non-numeric version', 'Patient/{id}/_history/abc', 404],
    ['an unknown resource type', 'Patientx/1', 404],
  ])('%s is rejected with an OperationOutcome', async (_label, path, status) => {
    const created = await fhir.create(patient('Missing'));
    const res = await fhir.get(path.replace('{id}', created.id as string));
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('update', () => {
  test('PUT to a new id creates it (201) with that id', async () => {
    const id = `put-${uniqueTag()}`;
    const res = await fhir.put(`Patient/${id}`, { ...patient('PutCreate'), id });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(id);
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.location).toBe(`${fhir.server.fhirUrl}/Patient/${id}/_history/1`);
  });

  test('re-sending identical content keeps the version', async () => {
    const created = await fhir.create(patient('Same'));
    const again = await fhir.put(`Patient/${created.id}`, created);
    expect(again.status).toBe(200);
    expect(again.body.meta.versionId).toBe('1');
  });

  test.each([
    ['the current version', (v: number) => `W/"${v}"`, 200],
    ['a bare current version', (v: number) => `"${v}"`, 200],
    ['an older version', (v: number) => `W/"${v - 1}"`, 412],
    ['a future version', (v: number) => `W/"${v + 5}"`, 412],
  ])('If-Match with %s', async (_label, etag, status) => {
    const created = await fhir.create(patient('IfMatch'));
    const v2 = (await fhir.put(`Patient/${created.id}`, { ...created, gender: 'female' })).body;
    const res = await fhir.put(`Patient/${created.id}`, { ...v2, gender: 'male' }).set('If-Match', etag(2));
    expect(res.status).toBe(status);
    if (status === 412) expect(res.body.resourceType).toBe('OperationOutcome');
    else expect(res.body.meta.versionId).toBe('3');
  });

  test.each([
    ['an id that does not match the URL', (id: string) => ({ ...patient('X'), id: `${id}-other` }), 400],
    ['no id in the body', () => patient('X'), 400],
    ['another resourceType', (id: string) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' } }), 400],
  ])('PUT with %s is rejected', async (_label, body, status) => {
    const created = await fhir.create(patient('Mismatch'));
    const res = await fhir.put(`Patient/${created.id}`, body(created.id as string));
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await fhir.get(`Patient/${created.id}`)).body.meta.versionId).toBe('1');
  });
});

describe('delete', () => {
  test('soft delete: read is 410, history keeps the versions, vread of old versions works, PUT revives', async () => {
    const created = await fhir.create(patient('Delete'));
    const del = await fhir.delete(`Patient/${created.id}`);
    expect([200, 204]).toContain(del.status);
    const read = await fhir.get(`Patient/${created.id}`);
    expect(read.status).toBe(410);
    expect(read.body.resourceType).toBe('OperationOutcome');
    const history = await fhir.get(`Patient/${created.id}/_history`);
    expect(history.status).toBe(200);
    expect(history.body.entry.map((e: { request: { method: string } }) => e.request.method)).toEqual(['DELETE', 'POST']);
    expect((await fhir.get(`Patient/${created.id}/_history/1`)).status).toBe(200);
    expect((await fhir.get(`Patient/${created.id}/_history/2`)).status).toBe(410);
    const search = await fhir.get(`Patient?_id=${created.id}`);
    expect(search.body.total).toBe(0);
    const revived = await fhir.put(`Patient/${created.id}`, { ...patient('Revived'), id: created.id });
    expect(revived.status).toBe(201);
    expect(revived.body.meta.versionId).toBe('3');
  });

  test('deleting twice or deleting an unknown id succeeds', async () => {
    const created = await fhir.create(patient('Twice'));
    expect((await fhir.delete(`Patient/${created.id}`)).status).toBeLessThan(300);
    expect((await fhir.delete(`Patient/${created.id}`)).status).toBeLessThan(300);
    expect((await fhir.delete('Patient/never-was')).status).toBeLessThan(300);
    const history = await fhir.get(`Patient/${created.id}/_history`);
    expect(history.body.entry).toHaveLength(2);
  });

  test('conditional delete removes the one match; several matches are 412', async () => {
    const tag = uniqueTag();
    const one = await fhir.create(patient('CondDel', { identifier: [{ system: 'urn:cd', value: tag }] }));
    expect((await fhir.delete(`Patient?identifier=urn:cd|${tag}`)).status).toBe(200);
    expect((await fhir.get(`Patient/${one.id}`)).status).toBe(410);
    await fhir.create(patient('CondDel', { meta: { tag: [{ code: tag }] } }));
    await fhir.create(patient('CondDel', { meta: { tag: [{ code: tag }] } }));
    expect((await fhir.delete(`Patient?_tag=${tag}`)).status).toBe(412);
  });
});

describe('conditional create and update', () => {
  test('If-None-Exist: no match creates (201), one match returns it (200), several are 412', async () => {
    const tag = uniqueTag();
    const body = patient('Cond', { identifier: [{ system: 'urn:cond', value: tag }] });
    const first = await fhir.post('Patient', body).set('If-None-Exist', `identifier=urn:cond|${tag}`);
    expect(first.status).toBe(201);
    const second = await fhir.post('Patient', body).set('If-None-Exist', `identifier=urn:cond|${tag}`);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect((await fhir.get(`Patient?identifier=urn:cond|${tag}`)).body.total).toBe(1);
    await fhir.create(patient('Cond', { identifier: [{ system: 'urn:cond', value: tag }] }));
    const third = await fhir.post('Patient', body).set('If-None-Exist', `identifier=urn:cond|${tag}`);
    expect(third.status).toBe(412);
  });

  test('conditional update: no match creates, one match updates that resource, several are 412', async () => {
    const tag = uniqueTag();
    const url = `Patient?identifier=urn:cu|${tag}`;
    const body = patient('CU1', { identifier: [{ system: 'urn:cu', value: tag }] });
    const created = await fhir.put(url, body);
    expect(created.status).toBe(201);
    const updated = await fhir.put(url, { ...body, name: [{ family: 'CU2' }] });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
    await fhir.create(body);
    expect((await fhir.put(url, body)).status).toBe(412);
  });
});

describe('history', () => {
  test('instance history lists versions newest first with methods and ETags', async () => {
    const created = await fhir.create(patient('H1'));
    await fhir.put(`Patient/${created.id}`, { ...created, name: [{ family: 'H2' }] });
    await fhir.put(`Patient/${created.id}`, { ...created, name: [{ family: 'H3' }] });
    const res = await fhir.get(`Patient/${created.id}/_history`);
    const bundle = res.body as Bundle;
    expect(bundle.type).toBe('history');
    expect(bundle.entry?.map((e) => (e.resource as Patient).name?.[0].family)).toEqual(['H3', 'H2', 'H1']);
    expect(bundle.entry?.map((e) => e.response?.etag)).toEqual(['W/"3"', 'W/"2"', 'W/"1"']);
    expect(bundle.entry?.map((e) => e.request?.method)).toEqual(['PUT', 'PUT', 'POST']);
  });

  test('history of an unknown instance is 404', async () => {
    expect((await fhir.get('Patient/nobody-here/_history')).status).toBe(404);
  });

  test.each(['_history?_count=-1', 'Patient/_history?_count=1.5', 'Patient/_history?_count=ten'])('%s is 400 naming _count, not a 500', async (path) => {
    const res = await fhir.get(path);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/_count must be a non-negative integer/);
  });

  test('type and system history with _since and _count walk every change exactly once', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const start = new Date().toISOString();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await fhir.create<Device>({ resourceType: 'Device', status: 'active', distinctIdentifier: `h${i}` })).id as string);
    const pages = await fhir.pages(`Device/_history?_since=${encodeURIComponent(start)}&_count=2`);
    expect(pages.map((p) => p.entry?.length)).toEqual([2, 2, 1]);
    const seen = pages.flatMap((p) => p.entry?.map((e) => e.resource?.id));
    expect(seen).toEqual([...made].reverse());
    expect(linkPath(pages[0], 'self')).toContain('_count=2');

    const system = await fhir.pages(`_history?_since=${encodeURIComponent(start)}&_count=3`);
    const systemIds = system.flatMap((p) => p.entry?.map((e) => e.resource?.id));
    expect(systemIds).toEqual([...made].reverse());
    expect(since < start).toBe(true);
  });

  test('_since in the future gives an empty history; a malformed _since is 400', async () => {
    const future = await fhir.get(`Patient/_history?_since=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`);
    expect(future.status).toBe(200);
    expect(future.body.entry ?? []).toHaveLength(0);
    const bad = await fhir.get('Patient/_history?_since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
  });
});
