/**
 * $graphql beyond the HL7 test cases: GET and POST, mutations, Connection paging by cursor, reverse
 * references, the refusal to truncate a list, batching of reference reads, consent, and the query limits.
 */
import { startTestServer, TestServer } from '../../support/server';

let server: TestServer;

type Answer = { data?: Record<string, any> | null; errors?: { message: string }[] };

async function post(path: string, query: string, token = server.adminToken, variables?: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${server.fhirUrl}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

async function put(resource: { resourceType: string; id: string }, token = server.adminToken): Promise<void> {
  const res = await fetch(`${server.fhirUrl}/${resource.resourceType}/${resource.id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
    body: JSON.stringify(resource),
  });
  if (res.status >= 300) throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  server = await startTestServer();
  for (const n of [1, 2, 3, 4, 5]) await put({ resourceType: 'Patient', id: `gq-p${n}`, name: [{ family: 'Graphqlpaging', given: [`P${n}`] }] } as never);
  for (const n of [1, 2, 3, 4, 5]) {
    await put({ resourceType: 'Observation', id: `gq-o${n}`, status: 'final', code: { coding: [{ system: 'urn:gq', code: 'batch' }] }, subject: { reference: `Patient/gq-p${n}` } } as never);
  }
  await put({ resourceType: 'Condition', id: 'gq-c1', subject: { reference: 'Patient/gq-p1' }, code: { text: 'asthma' } } as never);
});

afterAll(async () => {
  await server?.close();
});

test('GET ?query= with a bearer token reads, at system and instance level; a mutation over GET is refused', async () => {
  const get = async (path: string, query: string) => {
    const res = await fetch(`${server.fhirUrl}/${path}?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  expect((await get('$graphql', '{ Patient(id: gq-p1) { id name { given } } }')).body).toEqual({ data: { Patient: { id: 'gq-p1', name: [{ given: ['P1'] }] } } });
  expect((await get('Patient/gq-p2/$graphql', '{ id }')).body).toEqual({ data: { id: 'gq-p2' } });
  expect((await get('Patient/missing/$graphql', '{ id }')).status).toBe(404);
  const mutation = await get('$graphql', 'mutation { PatientDelete(id: "gq-p1") { id } }');
  expect(mutation.body.errors?.[0].message).toMatch(/POST/);
  const unauthenticated = await fetch(`${server.fhirUrl}/$graphql?query=${encodeURIComponent('{ Patient(id: gq-p1) { id } }')}`);
  expect(unauthenticated.status).toBe(401);
});

test('create, update and delete through mutations', async () => {
  const created = await post('$graphql', 'mutation ($res: PatientInput!) { PatientCreate(res: $res) { id active name { family } } }', server.adminToken, {
    res: { active: true, name: [{ family: 'Mutated' }] },
  });
  expect(created.errors).toBeUndefined();
  const id = created.data?.PatientCreate.id as string;
  expect(created.data?.PatientCreate).toEqual({ id, active: true, name: [{ family: 'Mutated' }] });
  const updated = await post('$graphql', `mutation { PatientUpdate(id: "${id}", res: { id: "${id}", active: false }) { id active } }`);
  expect(updated.data?.PatientUpdate).toEqual({ id, active: false });
  const deleted = await post('$graphql', `mutation { PatientDelete(id: "${id}") { issue { severity } } }`);
  expect(deleted.data?.PatientDelete).toEqual({ issue: [{ severity: 'information' }] });
  expect((await post('$graphql', `{ Patient(id: "${id}") { id } }`)).errors?.length).toBe(1);
});

test('PatientConnection pages by the keyset cursor until every match was seen once', async () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const args = `family: "Graphqlpaging", _count: 2${cursor ? `, _cursor: "${cursor}"` : ''}`;
    const answer = await post('$graphql', `{ PatientConnection(${args}) { count pagesize next edges { mode resource { id } } } }`);
    expect(answer.errors).toBeUndefined();
    const page = answer.data?.PatientConnection;
    expect(page.count).toBe(5);
    expect(page.pagesize).toBe(2);
    for (const edge of page.edges) {
      expect(edge.mode).toBe('match');
      seen.push(edge.resource.id);
    }
    cursor = page.next;
  } while (cursor);
  expect(seen.sort()).toEqual(['gq-p1', 'gq-p2', 'gq-p3', 'gq-p4', 'gq-p5']);
});

test('reverse references inside a resource, with an unknown _reference refused', async () => {
  const answer = await post('Patient/gq-p1/$graphql', '{ id ConditionList(_reference: subject) { id code { text } } }');
  expect(answer).toEqual({ data: { id: 'gq-p1', ConditionList: [{ id: 'gq-c1', code: { text: 'asthma' } }] } });
  const wrong = await post('Patient/gq-p1/$graphql', '{ ConditionList(_reference: encounter) { id } }');
  expect(wrong.errors?.[0].message).toMatch(/no reference parameter "encounter"/);
});

test('the subjects of a page of observations are read in one statement', async () => {
  const query = jest.spyOn(server.tonet.db, 'query');
  try {
    const answer = await post('$graphql', '{ ObservationList(code: "urn:gq|batch") { id subject { resource { ... on Patient { id } } } } }');
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.ObservationList.map((o: any) => o.subject.resource.id).sort()).toEqual(['gq-p1', 'gq-p2', 'gq-p3', 'gq-p4', 'gq-p5']);
    const referenceReads = query.mock.calls.filter(([statement]) => statement.toQuery().text.includes('unnest') && statement.toQuery().text.includes('SELECT r.resource_type, r.id, r.content'));
    expect(referenceReads).toHaveLength(1);
  } finally {
    query.mockRestore();
  }
});

test('consent applies to references: what the caller may not see is null when optional, an error otherwise', async () => {
  const resident = await server.clientToken({ role: 'resident', patient: 'Patient/gq-p1' });
  // A resident sees what they wrote about themselves, not a facility's observation about someone else.
  const panel = { resourceType: 'Observation', status: 'final', code: { text: 'panel' }, subject: { reference: 'Patient/gq-p1' }, hasMember: [{ reference: 'Observation/gq-o2' }] };
  // Created with POST: only the network office chooses ids (update-as-create).
  const createdPanel = await fetch(`${server.fhirUrl}/Observation`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${resident}` }, body: JSON.stringify(panel) });
  expect(createdPanel.status).toBe(201);
  const panelId = ((await createdPanel.json()) as { id: string }).id;
  const asAdmin = await post(`Observation/${panelId}/$graphql`, '{ hasMember { resource(optional: true) { ... on Observation { id } } } }');
  expect(asAdmin.data).toEqual({ hasMember: [{ resource: { id: 'gq-o2' } }] });
  const optional = await post(`Observation/${panelId}/$graphql`, '{ subject { resource { ... on Patient { id } } } hasMember { reference resource(optional: true) { ... on Observation { id } } } }', resident);
  expect(optional).toEqual({ data: { subject: { resource: { id: 'gq-p1' } }, hasMember: [{ reference: 'Observation/gq-o2' }] } });
  const required = await post(`Observation/${panelId}/$graphql`, '{ hasMember { resource { ... on Observation { id } } } }', resident);
  expect(required.errors?.[0].message).toMatch(/Cannot resolve reference "Observation\/gq-o2"/);
});

test('unknown fields and arguments are errors, and so are queries too deep or too costly', async () => {
  expect((await post('$graphql', '{ Patient(id: gq-p1) { id nickname } }')).errors?.[0].message).toMatch(/Cannot query field "nickname"/);
  expect((await post('$graphql', '{ PatientList(colour: "red") { id } }')).errors?.[0].message).toMatch(/Unknown argument "colour"/);
  let selection = 'id';
  for (let i = 0; i < 7; i++) selection = `subject { resource { ... on Observation { ${selection} } } }`;
  const tooDeep = await post('Observation/gq-o1/$graphql', `{ ${selection} }`);
  expect(tooDeep.errors?.[0].message).toMatch(/nested \d+ levels deep; at most 12/);
  const tooCostly = await post('$graphql', '{ PatientList { ObservationList(_reference: subject) { subject { resource { ... on Patient { id } } } } } }');
  expect(tooCostly.errors?.[0].message).toMatch(/would cost \d+ .* at most 5000/);
});

test('a list with more matches than the maximum is an error, not a truncated answer', async () => {
  const entry = Array.from({ length: 1001 }, (_, i) => ({
    resource: { resourceType: 'Basic', code: { coding: [{ system: 'urn:gq', code: 'many' }] }, identifier: [{ value: `gq-${i}` }] },
    request: { method: 'POST', url: 'Basic' },
  }));
  const res = await fetch(server.fhirUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${server.adminToken}` },
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
  });
  expect(res.status).toBe(200);
  const answer = await post('$graphql', '{ BasicList(code: "urn:gq|many") { id } }');
  expect(answer.errors?.[0].message).toMatch(/BasicList matches more than 1000 resources/);
  const page = await post('$graphql', '{ BasicList(code: "urn:gq|many", _count: 10) { id } }');
  expect(page.data?.BasicList).toHaveLength(10);
});
