/**
 * The server acting on its own, through a real server: a card link's Consent is written by the system actor
 * "card-link-consent" on the request that caused it, and the link-card AuditEvent that records the Consent
 * names that request; an entry made by a system actor is stored in the chained trail with its reason.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import { verifyAuditChain } from '../../src/audit/verify';
import { RequestContext, systemActor } from '../../src/core/context';
import { sql } from '../../src/core/sql';
import { Repository } from '../../src/fhir/repository';
import { AuditChain } from '../../src/store/audit-log';
import { startTestServer, TestServer } from '../support/server';
import { as, facility, parameters, printedCard } from '../consent/support';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

interface Row {
  client_id: string;
  role: string;
  purpose_of_use: string;
  action: string;
  event: string;
}

const rowsNaming = (requestId: string) =>
  server.tonet.db.query<Row>(sql`SELECT client_id, role, purpose_of_use, action, event FROM audit_event WHERE event LIKE ${`%${requestId}%`} ORDER BY seq`);

test("a card link's Consent is written by the system actor, on the request whose link-card event records it", async () => {
  const clinic = await facility(server, '1310007777', 'clinic', '理由クリニック');
  const enrolled = await as(server, server.adminToken).post('/fhir/Patient/$enroll', parameters({ patient: { resourceType: 'Patient', name: [{ family: '理由' }], birthDate: '1950-05-05' } }));
  expect(enrolled.status).toBe(201);
  const { cardNumber, cardSecret } = printedCard(enrolled.body);
  const requestId = `link-${randomUUID()}`;
  const clinician = as(server, await server.clientToken({ role: 'clinician', organization: clinic.reference }), { 'x-request-id': requestId });

  const creates = jest.spyOn(Repository.prototype, 'create');
  const linked = await clinician.post('/fhir/Patient/$link-card', parameters({ cardNumber, cardSecret, localId: 'R-1', birthDate: '1950-05-05' }));
  const calls = [...creates.mock.calls];
  creates.mockRestore();
  expect(linked.status).toBe(200);
  const writer = (type: string) => calls.find(([, resource]) => resource.resourceType === type)?.[0] as RequestContext;
  expect(writer('Consent')).toEqual(systemActor('card-link-consent', requestId));
  // The facility's own Patient is written as the facility, not by the system.
  expect(writer('Patient')).toMatchObject({ organization: clinic.reference, requestId });
  expect(writer('Patient').systemReason).toBeUndefined();

  const consent = linked.body.parameter.find((p: { name: string }) => p.name === 'consent').resource;
  const rows = await rowsNaming(requestId);
  expect(rows.map((r) => r.action)).toEqual(['link-card']);
  const [entry] = rows;
  const event = JSON.parse(entry.event) as AuditEvent;
  expect(event.entity?.map((e) => e.what?.reference)).toContain(`Consent/${consent.id}`);
  expect(event.agent[0].who?.reference).toBe(clinic.reference);
});

test("an entry a system actor makes is chained with its reason, its role and purpose, and the reason's request id", async () => {
  await server.tonet.audit.append({ ctx: systemActor('pathway-rules'), action: 'create', patientIds: ['p-reason'], entities: ['Flag/f-reason'], outcome: '0', description: 'pathway Flag raised' });
  const rows = (await rowsNaming('system:pathway-rules')).filter((r) => r.event.includes('Flag/f-reason'));
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ client_id: 'system', role: 'admin', purpose_of_use: 'OPERATIONS', action: 'create' });
  const agent = (JSON.parse(rows[0].event) as AuditEvent).agent[0];
  expect(agent).toMatchObject({ name: 'Tonet (pathway-rules)', who: { display: 'Tonet (pathway-rules)' }, policy: ['urn:tonet:system-reason:pathway-rules'] });
  expect(await verifyAuditChain(new AuditChain(server.tonet.db))).toMatchObject({ ok: true });
});
