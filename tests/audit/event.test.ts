/**
 * An AuditEvent built from a context: the server acting on its own names its reason in the requesting agent
 * (agent.policy, and the name the audit pages show); a client's event names no reason. Both are valid R4.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import { auditEventOf } from '../../src/audit/event';
import type { AuditEntry } from '../../src/audit/types';
import { systemActor } from '../../src/core/context';
import { loadDefinitions } from '../../src/core/definitions';
import { validate } from '../../src/fhir/repository';
import { callerContext } from '../support/recording-trail';

beforeAll(() => loadDefinitions());

const RECORDED = '2026-12-08T09:00:00.000Z';

function eventOf(ctx: AuditEntry['ctx']): AuditEvent {
  return auditEventOf({ ctx, action: 'create', patientIds: ['p1'], entities: ['Flag/f1'], outcome: '0', description: 'Flag raised' }, RECORDED);
}

test('the server acting on its own names its reason in the requesting agent, and the request id is the reason', () => {
  const event = eventOf(systemActor('pathway-rules'));
  validate(event);
  expect(event.agent).toEqual([
    {
      type: { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110153', display: 'Source Role ID' }] },
      role: [{ coding: [{ system: 'https://tonet.example/fhir/CodeSystem/client-role', code: 'admin' }] }],
      who: { identifier: { system: 'https://tonet.example/fhir/client-id', value: 'system' }, display: 'Tonet (pathway-rules)' },
      altId: 'system',
      name: 'Tonet (pathway-rules)',
      requestor: true,
      policy: ['urn:tonet:system-reason:pathway-rules'],
    },
  ]);
  expect(event.purposeOfEvent?.[0].coding?.[0].code).toBe('OPERATIONS');
  expect(event.entity?.find((e) => e.type?.code === 'XrequestId')?.what?.identifier?.value).toBe('system:pathway-rules');
});

test('a system act a request caused names its reason and that request', () => {
  const event = eventOf(systemActor('card-link-consent', 'req-7'));
  expect(event.agent[0]).toMatchObject({ name: 'Tonet (card-link-consent)', policy: ['urn:tonet:system-reason:card-link-consent'] });
  expect(event.entity?.find((e) => e.type?.code === 'XrequestId')?.what?.identifier?.value).toBe('req-7');
});

test("a client's event names no system reason", () => {
  const event = eventOf(callerContext('clinician', { organization: 'Organization/hospital' }));
  validate(event);
  expect(event.agent[0].policy).toBeUndefined();
  expect(event.agent[0]).toMatchObject({ who: { reference: 'Organization/hospital', display: 'clinician client' }, name: 'clinician client' });
});
