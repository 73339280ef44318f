/**
 * An emergency crew member logs in as a person (a practitioner whose job at the emergency team is
 * "emergency"): the token acts as the emergency role for that team, opens the emergency summary by card
 * number (the narrow subset only), and the AuditEvent names the crew member, the team and ETREAT.
 */
import { sql } from '../../src/core/sql';
import { as, facility, parameters, printedCard } from '../consent/support';
import { enrolledAccount, logInOverHttp } from './support';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

test('a crew member opens the emergency summary as themself, and nothing else', async () => {
  const team = await facility(server, '1310000777', 'emergency', '利根消防 救急隊');
  const admin = as(server, server.adminToken);
  const enrolled = await admin.post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '救急', given: ['太郎'] }], birthDate: '1945-05-05', gender: 'male' }, emergencyUse: true }));
  const { cardNumber } = printedCard(enrolled.body);
  const crew = await enrolledAccount(server, { kind: 'practitioner', username: 'ems.kudo', name: '工藤 救急隊員', practitioner: 'Practitioner/ems-kudo', facilities: [{ organization: team.reference, role: 'emergency' }] });
  const token = (await logInOverHttp(server, crew)).access_token;
  expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ role: 'emergency', job: 'emergency', org: team.reference });
  const ems = as(server, token, { 'x-purpose-of-use': 'ETREAT' });

  const summary = await ems.post('/fhir/Patient/$emergency-summary', parameters({ cardNumber, reason: '自宅で転倒' }));
  expect(summary.status).toBe(200);
  expect(summary.body.entry[0].resource.id).toBe(enrolled.body.id);
  expect((await ems.get(`/fhir/Patient/${enrolled.body.id}`)).status).toBe(404);

  const [row] = await server.tonet.db.query<{ event: string }>(sql`SELECT event FROM audit_event WHERE action = 'emergency-access' ORDER BY seq DESC LIMIT 1`);
  const event = JSON.parse(row.event);
  expect(event.agent[0]).toMatchObject({ who: { reference: 'Practitioner/ems-kudo', display: '工藤 救急隊員' }, requestor: true });
  expect(event.agent[1]).toMatchObject({ who: { reference: team.reference }, role: [{ coding: [{ code: 'emergency' }] }] });
  expect(event.purposeOfEvent[0].coding[0].code).toBe('ETREAT');
});
