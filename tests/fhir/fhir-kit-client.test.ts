/**
 * An independent FHIR client (fhir-kit-client) drives the server over the real socket: CRUD, search,
 * history, transaction and paging with nextPage. It is an ES module only, so it is imported at run time.
 */
import path from 'node:path';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { uniqueTag, useFhirServer } from './helpers';

const fhir = useFhirServer();

interface KitClient {
  create(args: { resourceType: string; body: unknown }): Promise<any>;
  read(args: { resourceType: string; id: string }): Promise<any>;
  vread(args: { resourceType: string; id: string; version: string }): Promise<any>;
  update(args: { resourceType: string; id: string; body: unknown }): Promise<any>;
  delete(args: { resourceType: string; id: string }): Promise<any>;
  search(args: { resourceType: string; searchParams: Record<string, string | number> }): Promise<any>;
  history(args: { resourceType: string; id: string }): Promise<any>;
  transaction(args: { body: unknown }): Promise<any>;
  nextPage(args: { bundle: unknown }): Promise<any>;
  capabilityStatement(): Promise<any>;
}

let client: KitClient;
beforeAll(async () => {
  const load = new Function('p', 'return import(p)') as (p: string) => Promise<{ Client: new (config: unknown) => KitClient }>;
  const { Client } = await load(path.resolve(__dirname, '../../node_modules/fhir-kit-client/dist/index.js'));
  client = new Client({ baseUrl: fhir.server.fhirUrl, bearerToken: fhir.server.adminToken });
});

test('capability statement', async () => {
  expect((await client.capabilityStatement()).fhirVersion).toBe('4.0.1');
});

test('create, read, update, vread, history, delete', async () => {
  const created = (await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: '鈴木' }] } })) as Patient;
  expect(created.id).toBeDefined();
  const read = (await client.read({ resourceType: 'Patient', id: created.id as string })) as Patient;
  expect(read.name?.[0].family).toBe('鈴木');
  const updated = (await client.update({ resourceType: 'Patient', id: created.id as string, body: { ...read, gender: 'female' } })) as Patient;
  expect(updated.meta?.versionId).toBe('2');
  expect((await client.vread({ resourceType: 'Patient', id: created.id as string, version: '1' })).gender).toBeUndefined();
  const history = (await client.history({ resourceType: 'Patient', id: created.id as string })) as Bundle;
  expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
  await client.delete({ resourceType: 'Patient', id: created.id as string });
  await expect(client.read({ resourceType: 'Patient', id: created.id as string })).rejects.toMatchObject({ response: { status: 410 } });
});

test('search and nextPage walk every match once', async () => {
  const tag = uniqueTag();
  const made = new Set<string>();
  for (let i = 0; i < 5; i++) made.add((await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', meta: { tag: [{ code: tag }] }, name: [{ family: `Kit${i}` }] } })).id);
  let page = (await client.search({ resourceType: 'Patient', searchParams: { _tag: tag, _count: 2, _total: 'accurate' } })) as Bundle;
  expect(page.total).toBe(5);
  const seen: string[] = [];
  for (;;) {
    seen.push(...(page.entry?.map((e) => e.resource?.id as string) ?? []));
    const next = await client.nextPage({ bundle: page });
    if (!next) break;
    page = next;
  }
  expect(seen).toHaveLength(5);
  expect(new Set(seen)).toEqual(made);
});

test('transaction', async () => {
  const tag = uniqueTag();
  const response = (await client.transaction({
    body: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:7f0b7c3e-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: tag }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: tag }, subject: { reference: 'urn:uuid:7f0b7c3e-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    },
  })) as Bundle;
  expect(response.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created']);
  const found = (await client.search({ resourceType: 'Observation', searchParams: { 'subject.name': tag } })) as Bundle;
  expect(found.total).toBe(1);
});

test('errors reach the client as OperationOutcomes', async () => {
  await expect(client.read({ resourceType: 'Patient', id: 'no-such-patient' })).rejects.toMatchObject({ response: { status: 404, data: { resourceType: 'OperationOutcome' } } });
  await expect(client.search({ resourceType: 'Patient', searchParams: { nonsense: 'x' } })).rejects.toMatchObject({ response: { status: 400 } });
});
