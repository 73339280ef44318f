/**
 * answerAudited, the one point a GraphQL answer is audited at (both transports call it): the entry names the
 * patients the answer showed and what the resolvers read, leaves out fields that audited themselves, is
 * appended before the answer is handed back, and an answer whose entry cannot be appended fails.
 */
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { answerAudited, type AskedOperation } from '../../src/audit/graphql';
import type { AuditEntry, AuditTrail } from '../../src/audit/types';
import type { RequestContext } from '../../src/core/context';

const ctx: RequestContext = { clientId: 'c-1', clientName: 'clinic app', role: 'clinician', organization: 'Organization/clinic', purposeOfUse: 'TREAT', requestId: 'r-1', remoteAddress: '192.0.2.7' };

/** A trail whose patients are the subjects of Observations and the Patients themselves. */
function trail(failing?: Error): AuditTrail & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return {
    entries,
    append: async (entry: AuditEntry) => {
      if (failing) throw failing;
      entries.push(entry);
    },
    patientsSeen: async (resources: readonly Resource[]) => [
      ...new Set(resources.map((r) => (r.resourceType === 'Patient' ? r.id : (r as Observation).subject?.reference?.replace('Patient/', ''))).filter((id): id is string => !!id)),
    ],
  } as unknown as AuditTrail & { entries: AuditEntry[] };
}

const asked = (over: Partial<AskedOperation> = {}): AskedOperation => ({ ctx, text: 'query {\n  patientTimeline { kind }\n}', isMutation: false, read: [], selfAudited: new Set(), ...over });
const observation: Observation = { resourceType: 'Observation', id: 'o-1', status: 'final', code: { text: 'HbA1c' }, subject: { reference: 'Patient/p-1' } };

test('an answer showing patient data is recorded once, as a search naming its patients, before it is handed back', async () => {
  const audit = trail();
  const answer = await answerAudited(audit, asked(), async () => {
    expect(audit.entries).toHaveLength(0);
    return { data: { patientTimeline: [{ kind: 'lab', resource: observation }] } };
  }, (result) => result);
  expect(answer.data.patientTimeline[0].resource.id).toBe('o-1');
  expect(audit.entries).toEqual([{ ctx, action: 'search', patientIds: ['p-1'], entities: ['Observation/o-1'], outcome: '0', description: 'GraphQL query { patientTimeline { kind } }', remoteAddress: '192.0.2.7' }]);
});

test('what the resolvers read counts, even when the answer carries no resourceType; a field that audited itself does not', async () => {
  const patient: Patient = { resourceType: 'Patient', id: 'p-2' };
  const read: Resource[] = [];
  const audit = trail();
  await answerAudited(audit, asked({ read }), async () => {
    read.push(patient);
    return { data: { Patient: { id: 'p-2' } } };
  }, (result) => result);
  expect(audit.entries.map((e) => e.patientIds)).toEqual([['p-2']]);

  const selfAudited = new Set(['emergencySummary']);
  await answerAudited(audit, asked({ selfAudited }), async () => ({ data: { emergencySummary: { patient: observation } } }), (result) => result);
  expect(audit.entries).toHaveLength(1);
});

test('a mutation is recorded even without patient data; a query without any, or an answer holding no result, is not', async () => {
  const audit = trail();
  await answerAudited(audit, asked(), async () => ({ data: { facilities: [{ name: '一点病院' }] } }), (result) => result);
  await answerAudited(audit, asked({ isMutation: true }), async () => 'a page, not a result', () => undefined);
  expect(audit.entries).toEqual([]);
  await answerAudited(audit, asked({ text: 'mutation { cancel }', isMutation: true }), async () => ({ data: { cancel: true } }), (result) => result);
  expect(audit.entries.map((e) => [e.action, e.patientIds, e.description])).toEqual([['operation', [], 'GraphQL mutation { cancel }']]);
});

test('an answer whose entry cannot be appended fails instead of going out unrecorded', async () => {
  const audit = trail(new Error('audit_event is unreachable'));
  await expect(answerAudited(audit, asked(), async () => ({ data: { patientTimeline: [{ resource: observation }] } }), (result) => result)).rejects.toThrow('audit_event is unreachable');
});
