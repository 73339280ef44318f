/**
 * Who may call the FHIR API (401 without, with a bad or with an expired token; 403 for researchers on
 * patient data), what every stored row records for the consent filter (its patient compartment and
 * meta.source, checked in SQL), and Patient/{id}/$everything with _since, _type, _count and paging.
 */
import type { Bundle, Observation, Organization, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { createHmac } from 'node:crypto';
import { SigningKey } from '../../src/auth/jwt';
import { sql } from '../../src/core/sql';
import { ids, nextPath, useFhirServer } from './helpers';

const SIGNING_KEY = SigningKey.generate();
const fhir = useFhirServer({ TONET_SIGNING_KEY: JSON.stringify(SIGNING_KEY.privateJwk) });

const issuer = () => `${fhir.server.url}/oidc`;
const claimsWith = (claims: Record<string, unknown>) => ({ sub: ADMIN_SUB, iss: issuer(), role: 'admin', iat: 1, exp: Math.floor(Date.now() / 1000) + 600, ...claims });
const token = (claims: Record<string, unknown>) => SIGNING_KEY.sign(claimsWith(claims));
const ADMIN_SUB = 'test-admin';
/** An HS256 token over the same claims, MACed with the public key's x coordinate: the classic algorithm-confusion forgery. */
const hs256Forgery = () => {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: SIGNING_KEY.kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claimsWith({}))).toString('base64url');
  return `${head}.${body}.${createHmac('sha256', String(SIGNING_KEY.publicJwk().x)).update(`${head}.${body}`).digest('base64url')}`;
};

describe('authentication', () => {
  test.each([
    ['no Authorization header', undefined],
    ['a non-Bearer scheme', 'Basic dGVzdDp0ZXN0'],
    ['an empty bearer token', 'Bearer '],
    ['a malformed token', 'Bearer not.a.jwt'],
    ['a token signed with another key', () => `Bearer ${SigningKey.generate().sign(claimsWith({}))}`],
    ['a token signed with another key under this key id', () => `Bearer ${token({}).split('.').slice(0, 2).join('.')}.${SigningKey.generate().sign(claimsWith({})).split('.')[2]}`],
    ['an HS256 token', () => `Bearer ${hs256Forgery()}`],
    ['an expired token', () => `Bearer ${token({ exp: Math.floor(Date.now() / 1000) - 10 })}`],
    ['a token from another issuer', () => `Bearer ${token({ iss: 'someone-else' })}`],
    ['a token with an unknown role', () => `Bearer ${token({ role: 'superuser' })}`],
  ] as [string, string | (() => string) | undefined][])('%s is 401 with an OperationOutcome', async (_label, header) => {
    for (const [method, path] of [['get', 'Patient'], ['get', 'Patient/x'], ['post', ''], ['get', '_history']] as const) {
      let req = request(fhir.server.url)[method](`/fhir/${path}`);
      const value = typeof header === 'function' ? header() : header;
      if (value !== undefined) req = req.set('Authorization', value);
      if (method === 'post') req = req.set('Content-Type', 'application/fhir+json').send({ resourceType: 'Bundle', type: 'batch', entry: [] });
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].code).toBe('login');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  test('a valid token signed with the configured key is accepted', async () => {
    expect((await fhir.get('Patient', token({}))).status).toBe(200);
  });

  test('tokens from the token endpoint verify against the published JWKS with a standard library', async () => {
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    const jwks = createRemoteJWKSet(new URL(`${fhir.server.url}/oidc/jwks`));
    const { payload, protectedHeader } = await jwtVerify(fhir.server.adminToken, jwks, { issuer: issuer(), algorithms: ['ES256'] });
    expect(protectedHeader.kid).toBe(SIGNING_KEY.kid);
    expect(payload).toMatchObject({ sub: ADMIN_SUB, role: 'admin' });
  });

  test('the CapabilityStatement needs no token', async () => {
    expect((await request(fhir.server.url).get('/fhir/metadata')).status).toBe(200);
  });
});

describe('researchers get 403 on patient data', () => {
  let researcher = '';
  let patientId = '';
  beforeAll(async () => {
    researcher = await fhir.server.clientToken({ role: 'researcher' });
    patientId = (await fhir.create<Patient>({ resourceType: 'Patient', name: [{ family: 'Hidden' }] })).id as string;
  });

  test.each([
    ['search', 'get', 'Patient'],
    ['read', 'get', 'Patient/{id}'],
    ['vread', 'get', 'Patient/{id}/_history/1'],
    ['instance history', 'get', 'Patient/{id}/_history'],
    ['type history', 'get', 'Observation/_history'],
    ['system history', 'get', '_history'],
    ['system search', 'get', '?_type=Patient'],
    ['$everything', 'get', 'Patient/{id}/$everything'],
    ['create', 'post', 'Patient'],
    ['delete', 'delete', 'Patient/{id}'],
  ] as const)('%s', async (_label, method, path) => {
    const url = `/fhir/${path.replace('{id}', patientId)}`;
    let req = request(fhir.server.url)[method](url).set('Authorization', `Bearer ${researcher}`);
    if (method === 'post') req = req.set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient' });
    const res = await req;
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('forbidden');
    expect((await fhir.get(`Patient/${patientId}`)).status).toBe(200);
  });

  test('a transaction read of patient data is 403 for the entry', async () => {
    const res = await fhir.post('', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Patient/${patientId}` } }] }, researcher);
    expect(res.status === 403 || res.body.entry?.[0]?.response?.status?.startsWith('403')).toBe(true);
  });
});

describe('compartments and meta.source recorded per row', () => {
  const row = async (type: string, id: string) => {
    const [r] = await fhir.server.tonet.db.query<{ compartments: string[]; source: string | null; content: string }>(
      sql`SELECT compartments, source, content FROM resource WHERE resource_type = ${type} AND id = ${id}`
    );
    return r;
  };
  const history = (type: string, id: string) =>
    fhir.server.tonet.db.query<{ version_id: number; compartments: string[]; source: string | null }>(
      sql`SELECT version_id, compartments, source FROM resource_history WHERE resource_type = ${type} AND id = ${id} ORDER BY version_id`
    );

  test('each resource lists the Patients whose compartment holds it', async () => {
    const a = await fhir.create<Patient>({ resourceType: 'Patient' });
    const b = await fhir.create<Patient>({ resourceType: 'Patient' });
    const org = await fhir.create<Organization>({ resourceType: 'Organization', name: 'Directory entry' });
    const cases: [string, Record<string, unknown>, string[]][] = [
      ['Observation', { status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${a.id}` } }, [a.id as string]],
      ['Observation', { status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${a.id}` }, performer: [{ reference: `Patient/${b.id}` }] }, [a.id as string, b.id as string]],
      ['Observation', { status: 'final', code: { text: 'x' }, subject: { reference: `Group/g1` } }, []],
      ['Encounter', { status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${b.id}` } }, [b.id as string]],
      ['AllergyIntolerance', { clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] }, patient: { reference: `Patient/${a.id}` } }, [a.id as string]],
      ['Organization', { name: 'x', partOf: { reference: `Organization/${org.id}` } }, []],
    ];
    for (const [type, body, expected] of cases) {
      const created = await fhir.create({ resourceType: type, ...body } as never);
      expect((await row(type, (created as { id: string }).id)).compartments.sort()).toEqual(expected.sort());
    }
    expect((await row('Patient', a.id as string)).compartments).toEqual([a.id]);
  });

  test('compartments follow updates and are kept in history', async () => {
    const a = await fhir.create<Patient>({ resourceType: 'Patient' });
    const b = await fhir.create<Patient>({ resourceType: 'Patient' });
    const obs = await fhir.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'move' }, subject: { reference: `Patient/${a.id}` } });
    await fhir.put(`Observation/${obs.id}`, { ...obs, subject: { reference: `Patient/${b.id}` } });
    expect((await row('Observation', obs.id as string)).compartments).toEqual([b.id]);
    expect((await history('Observation', obs.id as string)).map((h) => h.compartments)).toEqual([[a.id], [b.id]]);
  });

  test('meta.source: the caller’s facility wins over what the body claims; admin writes keep the body’s', async () => {
    const clinician = await fhir.server.clientToken({ role: 'clinician', organization: 'Organization/clinic-a' });
    const byClinician = await fhir.post('Patient', { resourceType: 'Patient', meta: { source: 'http://forged.example' } }, clinician);
    expect(byClinician.status).toBe(201);
    expect(byClinician.body.meta.source).toBe('Organization/clinic-a');
    const stored = await row('Patient', byClinician.body.id);
    expect(stored.source).toBe('Organization/clinic-a');
    expect(JSON.parse(stored.content).meta.source).toBe('Organization/clinic-a');
    expect((await history('Patient', byClinician.body.id))[0].source).toBe('Organization/clinic-a');

    const byAdmin = await fhir.create<Patient>({ resourceType: 'Patient', meta: { source: 'http://hospital.example/feed' } });
    expect((await row('Patient', byAdmin.id as string)).source).toBe('http://hospital.example/feed');
    const noSource = await fhir.create<Patient>({ resourceType: 'Patient' });
    expect((await row('Patient', noSource.id as string)).source).toBeNull();
  });

  test('rows written by a transaction record the same', async () => {
    const clinician = await fhir.server.clientToken({ role: 'clinician', organization: 'Organization/clinic-b' });
    const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
    const res = await fhir.post('', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: patientUrl, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Condition', subject: { reference: patientUrl } }, request: { method: 'POST', url: 'Condition' } },
      ],
    }, clinician);
    expect(res.status).toBe(200);
    const patientId = res.body.entry[0].response.location.match(/Patient\/([^/]+)/)[1];
    const conditionId = res.body.entry[1].response.location.match(/Condition\/([^/]+)/)[1];
    const condition = await row('Condition', conditionId);
    expect(condition.compartments).toEqual([patientId]);
    expect(condition.source).toBe('Organization/clinic-b');
  });
});

describe('Patient/$everything', () => {
  let patientId = '';
  let otherId = '';
  const made: Record<string, string> = {};
  let between = '';
  beforeAll(async () => {
    patientId = (await fhir.create<Patient>({ resourceType: 'Patient', name: [{ family: 'Everything' }] })).id as string;
    otherId = (await fhir.create<Patient>({ resourceType: 'Patient', name: [{ family: 'Other' }] })).id as string;
    const subject = { reference: `Patient/${patientId}` };
    for (let i = 0; i < 4; i++) made[`obs${i}`] = (await fhir.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: `e${i}` }, subject })).id as string;
    made.enc = (await fhir.create({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject } as never) as { id: string }).id;
    await new Promise((r) => setTimeout(r, 20));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    made.cond = (await fhir.create({ resourceType: 'Condition', subject } as never) as { id: string }).id;
    await fhir.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'not mine' }, subject: { reference: `Patient/${otherId}` } });
    await fhir.create({ resourceType: 'Organization', name: 'not in the compartment' } as never);
  });

  const everything = async (query = '') => {
    const res = await fhir.get(`Patient/${patientId}/$everything${query}`);
    expect(res.status).toBe(200);
    return res.body as Bundle;
  };

  test('the patient and everything in its compartment, nothing else', async () => {
    const bundle = await everything();
    expect(bundle.type).toBe('searchset');
    expect(ids(bundle).sort()).toEqual([patientId, ...Object.values(made)].sort());
    expect(bundle.total).toBe(7);
  });

  test('_type narrows the types', async () => {
    const bundle = await everything('?_type=Observation,Condition');
    expect(ids(bundle).sort()).toEqual([made.obs0, made.obs1, made.obs2, made.obs3, made.cond].sort());
  });

  test('_since keeps what changed since then', async () => {
    const bundle = await everything(`?_since=${encodeURIComponent(between)}`);
    expect(ids(bundle)).toEqual([made.cond]);
  });

  test('_count pages through everything exactly once', async () => {
    const first = await everything('?_count=3');
    expect(first.entry).toHaveLength(3);
    const pages = [first];
    let next = nextPath(first);
    while (next) {
      const res = await fhir.get(next);
      expect(res.status).toBe(200);
      pages.push(res.body);
      next = nextPath(res.body);
    }
    const all = pages.flatMap((p) => ids(p));
    expect(pages.length).toBe(3);
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual([patientId, ...Object.values(made)].sort());
  });

  test.each([
    ['an unknown patient', 'Patient/nobody/$everything', 404],
    ['a type outside the compartment', 'Patient/{id}/$everything?_type=Organization', 400],
    ['a malformed _since', 'Patient/{id}/$everything?_since=soon', 400],
    ['$everything on another type', 'Observation/{id}/$everything', 404],
  ])('%s is rejected', async (_label, path, status) => {
    const res = await fhir.get(path.replace('{id}', patientId));
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
