/**
 * resourceChanged over graphql-ws: events reach a subscriber only while consent lets it see them, checked at
 * delivery time — a Consent revoked mid-subscription stops the flow at once.
 */
import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';
import { labResultMessage } from '../../support/hl7-messages';
import { startTestServer, TestServer } from '../../support/server';
import { as, facility, Facility, parameters, printedCard } from '../../consent/support';

let server: TestServer;
let hospital: Facility;
let clinic: Facility;
let regionalId: string;
let clinicConsentId: string;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310001111', 'core-hospital', '中央病院');
  clinic = await facility(server, '1310002222', 'clinic', '駅前クリニック');
  const admin = as(server, server.adminToken);
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '購読', given: ['太郎'] }], birthDate: '1950-02-02', gender: 'male' }, emergencyUse: false }));
  regionalId = enrolled.body.id;
  const { cardNumber: card, cardSecret } = printedCard(enrolled.body);
  const linked = await as(server, await server.clientToken({ role: 'clinician', organization: hospital.reference })).post('/fhir/Patient/$link-card', parameters({ cardNumber: card, cardSecret, localId: 'H-9', birthDate: '1950-02-02' }));
  expect(linked.status).toBe(200);
  const clinicLinked = await as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference })).post('/fhir/Patient/$link-card', parameters({ cardNumber: card, cardSecret, localId: 'C-9', birthDate: '1950-02-02' }));
  clinicConsentId = clinicLinked.body.parameter.find((p: any) => p.name === 'consent').resource.id;
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await server?.close();
});

function subscribe(token: string): { events: any[]; ready: Promise<void> } {
  const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, lazy: false });
  clients.push(client);
  const events: any[] = [];
  const ready = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  client.subscribe({ query: `subscription { resourceChanged(patientId: "${regionalId}") }` }, { next: (value) => events.push(value), error: (err) => events.push({ error: err }), complete: () => undefined });
  return { events, ready };
}

async function sendResult(n: number): Promise<void> {
  const gateway = as(server, await server.clientToken({ role: 'gateway', organization: hospital.reference }));
  const ack = await gateway.post('/hl7/v2', labResultMessage({ controlId: `LIVE${n}`, patientId: 'H-9', orderNumber: `LIVE-O${n}`, code: '3D046000001920402', name: 'HbA1c', value: `${7 + n / 10}`, unit: '%', range: '4.6-6.2', observedAt: `20250${n}011000` }), 'x-application/hl7-v2+er7');
  expect(ack.body).toMatch(/MSA\|AA/);
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 50) await new Promise((r) => setTimeout(r, 50));
}

test('linked facilities receive changes; others and revoked ones do not', async () => {
  const hospitalFeed = subscribe(await server.clientToken({ role: 'clinician', organization: hospital.reference }));
  const clinicFeed = subscribe(await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  const strangerFeed = subscribe(await server.clientToken({ role: 'clinician', organization: (await facility(server, '1310003333', 'clinic', '他院')).reference }));
  await Promise.all([hospitalFeed.ready, clinicFeed.ready, strangerFeed.ready]);
  // Subscriptions register right after connecting; give the server a moment to start them.
  await new Promise((r) => setTimeout(r, 300));

  await sendResult(1);
  await waitFor(() => hospitalFeed.events.some((e) => e.data?.resourceChanged?.resourceType === 'Observation') && clinicFeed.events.some((e) => e.data?.resourceChanged?.resourceType === 'Observation'));
  const observation = (feed: { events: any[] }) => feed.events.filter((e) => e.data?.resourceChanged?.resourceType === 'Observation');
  expect(observation(hospitalFeed)).toHaveLength(1);
  expect(observation(clinicFeed)).toHaveLength(1);
  expect(strangerFeed.events).toEqual([]);

  const clinicDoctor = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }));
  const consent = (await clinicDoctor.get(`/fhir/Consent/${clinicConsentId}`)).body;
  expect((await clinicDoctor.put(`/fhir/Consent/${clinicConsentId}`, { ...consent, status: 'inactive' })).status).toBe(200);
  await sendResult(2);
  await waitFor(() => observation(hospitalFeed).length === 2);
  expect(observation(hospitalFeed)).toHaveLength(2);
  // The hospital's second result arrived; the clinic, no longer consented, heard nothing of it.
  await new Promise((r) => setTimeout(r, 300));
  expect(observation(clinicFeed)).toHaveLength(1);
  expect(strangerFeed.events).toEqual([]);
});

test('a connection without a valid token is refused', async () => {
  const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer nonsense' }, lazy: false, retryAttempts: 0 });
  clients.push(client);
  const closed = await new Promise<number>((resolve) => client.on('closed', (event: any) => resolve(event.code)));
  expect(closed).toBe(4403);
});
