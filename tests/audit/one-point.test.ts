/**
 * One interaction, one AuditEvent, naming the patients whose data it returned or wrote: a row per transport
 * (FHIR REST read, operation and refused operation, $import of NDJSON, GraphQL over HTTP and over the WebSocket,
 * a GraphQL field that records its own entry, HL7 v2 over MLLP and POST /hl7/v2, in original and enhanced
 * acknowledgment mode, STOW-RS, WADO-RS), each over the real
 * socket, counted straight from the chained table.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { sql } from '../../src/core/sql';
import { labResultMessage } from '../support/hl7-messages';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, Facility, parameters, printedCard } from '../consent/support';
import { MllpClient } from '../ingest/support';
import { graphql } from '../transports/graphql/support';
import { CT, CT_FILES, read, stow } from '../dicomweb/support';

let server: TestServer;
let hospital: Facility;
let gateway: string;
let emergencyCrew: string;
let appointment: { id: string; patient: string };
let labPatient: string;
let card: { cardNumber: string; regional: string };

const TIMELINE = 'query($id: ID!) { patientTimeline(patientId: $id, first: 5) { edges { kind resource } } }';

beforeAll(async () => {
  server = await startTestServer();
  hospital = await facility(server, '1310004444', 'core-hospital', '一点病院');
  gateway = await server.clientToken({ role: 'gateway', organization: hospital.reference });
  emergencyCrew = await server.clientToken({ role: 'emergency', organization: (await facility(server, '1310005555', 'emergency', '救急隊')).reference });
  const admin = as(server, server.adminToken);
  const patient = await admin.post('/fhir/Patient', { resourceType: 'Patient', name: [{ family: '予約' }] });
  const booked = await admin.post('/fhir/Appointment', { resourceType: 'Appointment', status: 'proposed', participant: [{ actor: { reference: `Patient/${patient.body.id}` }, status: 'accepted' }] });
  expect(booked.status).toBe(201);
  appointment = { id: booked.body.id, patient: patient.body.id };
  const sent = await as(server, gateway).post('/hl7/v2', lab('SETUP', 'OP-0'), 'x-application/hl7-v2+er7');
  expect(sent.body).toMatch(/MSA\|AA/);
  labPatient = await patientByFacilityId('OP-0');
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '救急', given: ['花子'] }], birthDate: '1940-03-03', gender: 'female' }, emergencyUse: true }));
  card = { cardNumber: printedCard(enrolled.body).cardNumber, regional: enrolled.body.id };
});
afterAll(async () => server?.close());

function lab(controlId: string, patientId: string, token?: string): string {
  return labResultMessage({ controlId, patientId, orderNumber: `O-${controlId}`, code: '3D046000001920402', name: 'HbA1c', value: '6.9', unit: '%', range: '4.6-6.2', observedAt: '202501101000', token });
}

async function patientByFacilityId(facilityPatientId: string): Promise<string> {
  const [row] = await server.tonet.db.query<{ id: string }>(sql`SELECT r.id FROM resource r JOIN sp_token t ON t.rid = r.rid
    WHERE r.resource_type = 'Patient' AND t.code = 'identifier' AND t.value = ${facilityPatientId}`);
  return row.id;
}

async function headSeq(): Promise<string> {
  const [row] = await server.tonet.db.query<{ seq: string }>(sql`SELECT seq::text AS seq FROM audit_head`);
  return row.seq;
}

async function eventsAfter(seq: string): Promise<{ action: string; outcome: string; patient_ids: string[] }[]> {
  return server.tonet.db.query(sql`SELECT action, outcome, patient_ids FROM audit_event WHERE seq > ${seq}::bigint ORDER BY seq`);
}

async function overWebSocket(token: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
  const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  try {
    return await new Promise((resolve, reject) => {
      let result: unknown;
      client.subscribe({ query, variables }, { next: (value) => (result = value), error: reject, complete: () => resolve(result) });
    });
  } finally {
    await client.dispose();
  }
}

/** Each row acts once and says which patients its one event must name, and with what action. */
const interactions: [string, () => Promise<void>, () => Promise<{ action: string; patients: string[]; outcome?: string }>][] = [
  [
    'FHIR REST read (an Appointment names its patient as a participant)',
    async () => expect((await as(server, server.adminToken).get(`/fhir/Appointment/${appointment.id}`)).status).toBe(200),
    async () => ({ action: 'read', patients: [appointment.patient] }),
  ],
  [
    'FHIR operation that records its own entry ($emergency-summary)',
    async () => expect((await as(server, emergencyCrew).post('/fhir/Patient/$emergency-summary', parameters({ cardNumber: card.cardNumber, reason: '心肺停止で搬送' }))).status).toBe(200),
    async () => ({ action: 'emergency-access', patients: [card.regional] }),
  ],
  [
    'FHIR operation refused where the refusal is recorded ($emergency-summary asked by a gateway: 403)',
    async () => expect((await as(server, gateway).post('/fhir/Patient/$emergency-summary', parameters({ cardNumber: card.cardNumber, reason: '搬送' }))).status).toBe(403),
    async () => ({ action: 'emergency-access', patients: [], outcome: '4' }),
  ],
  [
    'GraphQL field whose resolver records its own entry (emergencySummary, as the REST operation does)',
    async () => {
      const answer = await graphql(server, emergencyCrew, 'query($c: String!) { emergencySummary(cardNumber: $c, reason: "意識障害で搬送") { patient } }', { c: card.cardNumber });
      expect(answer.data.emergencySummary.patient.id).toBe(card.regional);
    },
    async () => ({ action: 'emergency-access', patients: [card.regional] }),
  ],
  [
    'FHIR $import of NDJSON (one entry for the whole import, naming every patient it wrote)',
    async () => {
      const lines = [
        { resourceType: 'Patient', id: 'one-point-import', name: [{ family: '一括' }] },
        { resourceType: 'Observation', status: 'final', code: { text: '体重' }, subject: { reference: 'Patient/one-point-import' }, valueQuantity: { value: 60, unit: 'kg' } },
      ];
      const answer = await as(server, gateway).post('/fhir/$import', lines.map((l) => JSON.stringify(l)).join('\n'), 'application/fhir+ndjson');
      expect(answer.status).toBe(200);
    },
    async () => ({ action: 'operation', patients: ['one-point-import'] }),
  ],
  [
    'GraphQL over HTTP',
    async () => expect((await graphql(server, server.adminToken, TIMELINE, { id: labPatient })).data.patientTimeline.edges.length).toBeGreaterThan(0),
    async () => ({ action: 'search', patients: [labPatient] }),
  ],
  [
    'GraphQL over the WebSocket',
    async () => expect(((await overWebSocket(server.adminToken, TIMELINE, { id: labPatient })) as any).data.patientTimeline.edges.length).toBeGreaterThan(0),
    async () => ({ action: 'search', patients: [labPatient] }),
  ],
  [
    'HL7 v2 over MLLP',
    async () => {
      const mllp = await MllpClient.connect(server.mllpPort);
      try {
        expect(await mllp.send(Buffer.from(lab('MLLP1', 'OP-1', gateway), 'utf8'))).toMatch(/MSA\|AA/);
      } finally {
        mllp.close();
      }
    },
    async () => ({ action: 'transaction', patients: [await patientByFacilityId('OP-1')] }),
  ],
  [
    'HL7 v2 over MLLP in enhanced mode (MSH-15 AL: CA, then the inbox worker maps it)',
    async () => {
      const mllp = await MllpClient.connect(server.mllpPort);
      try {
        expect(await mllp.send(Buffer.from(lab('ENH1', 'OP-3', gateway).replace('|P|2.5\r', '|P|2.5|||AL\r'), 'utf8'))).toMatch(/MSA\|CA/);
      } finally {
        mllp.close();
      }
      // The mapping's event is appended after the CA, once the worker has stored the message.
      for (let attempt = 0; attempt < 300; attempt++) {
        const [row] = await server.tonet.db.query<{ n: string }>(sql`SELECT count(*)::text AS n FROM audit_event WHERE event LIKE '%ENH1%'`);
        if (row.n !== '0') return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async () => ({ action: 'transaction', patients: [await patientByFacilityId('OP-3')] }),
  ],
  [
    'HL7 v2 over POST /hl7/v2',
    async () => expect((await as(server, gateway).post('/hl7/v2', lab('HTTP1', 'OP-2'), 'x-application/hl7-v2+er7')).body).toMatch(/MSA\|AA/),
    async () => ({ action: 'transaction', patients: [await patientByFacilityId('OP-2')] }),
  ],
  [
    'STOW-RS',
    async () => expect((await stow(server, gateway, [read(CT_FILES[0])])).status).toBe(200),
    async () => ({ action: 'create', patients: [await patientByFacilityId(CT.patientId)] }),
  ],
  [
    'WADO-RS',
    async () => {
      const res = await fetch(`${server.url}/dicomweb/studies/${CT.study}/series/${CT.series}/instances/${CT.sop}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    },
    async () => ({ action: 'read', patients: [await patientByFacilityId(CT.patientId)] }),
  ],
];

test.each(interactions)('%s leaves exactly one AuditEvent naming the right patients', async (_name, act, expected) => {
  const before = await headSeq();
  await act();
  const events = await eventsAfter(before);
  const { action, patients, outcome = '0' } = await expected();
  expect(events.map((e) => ({ action: e.action, outcome: e.outcome, patients: [...e.patient_ids].sort() }))).toEqual([{ action, outcome, patients: [...patients].sort() }]);
});
