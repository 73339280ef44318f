/**
 * Live deliveries (notify/deliveries.ts): what a subscriber is sent from the change feed, each delivery
 * audited where it is chosen — once per resource sent, never for a change it may not see, nor after it
 * stopped standing — and refused outright to a caller who may not read records.
 */
import type { Flag, Observation, Resource } from '@medplum/fhirtypes';
import type { AuditEntry, AuditTrail } from '../../src/audit/types';
import type { AccessPolicy } from '../../src/consent/access';
import type { RequestContext } from '../../src/core/context';
import { forbidden } from '../../src/core/errors';
import { createLogger } from '../../src/core/logger';
import { ChangeFeed } from '../../src/notify/changes';
import { patientChanges, raisedAlerts, type DeliverySources } from '../../src/notify/deliveries';
import type { ChangeEvent } from '../../src/store/changes';
import type { ChangedResources } from '../../src/store/read-models/changed-resources';

const clinician: RequestContext = { clientId: 'c-1', clientName: 'clinic app', role: 'clinician', organization: 'Organization/clinic', purposeOfUse: 'TREAT', requestId: 'ws', remoteAddress: '192.0.2.9' };

const resultOf = (id: string): Observation => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'HbA1c' }, subject: { reference: 'Patient/p-1' } });
const flag: Flag = { resourceType: 'Flag', id: 'f-1', status: 'active', code: { text: '受診勧奨' }, subject: { reference: 'Patient/p-1' } };

/** Sources over a real change feed; the subscriber may see what `visibleIds` holds, and the trail records what it is given. */
function sources(visibleIds: string[], stored: Resource[]) {
  const entries: AuditEntry[] = [];
  const changes = new ChangeFeed(createLogger('silent'));
  const changedResources = { visible: async (_scope: unknown, event: ChangeEvent) => (visibleIds.includes(event.id) ? stored.find((r) => r.id === event.id) : undefined) } as unknown as ChangedResources;
  const access = {
    assertMayRead: (ctx: RequestContext) => {
      if (ctx.role === 'researcher') throw forbidden('Researchers may not read patient-level data');
    },
    readScope: () => ({}),
  } as unknown as AccessPolicy;
  const audit = { append: async (entry: AuditEntry) => void entries.push(entry), patientsSeen: async () => ['p-1'] } as unknown as AuditTrail;
  const all: DeliverySources = { changes, changedResources, access, audit };
  return { all, changes, entries };
}

const change = (resourceType: string, id: string, versionId = '1', deleted = false): ChangeEvent => ({ resourceType, id, versionId, deleted });

test('each resource sent is audited once as a read; a change the subscriber may not see, or a deletion, is neither sent nor audited', async () => {
  const { all, changes, entries } = sources(['o-1', 'o-3', 'o-4'], [resultOf('o-1'), resultOf('o-2'), resultOf('o-3'), resultOf('o-4')]);
  const stream = patientChanges(all, { ctx: clinician }, 'p-1');
  changes.emit('change', change('Observation', 'o-2'));
  changes.emit('change', change('Observation', 'o-1'));
  changes.emit('change', change('Observation', 'o-4', '2', true));
  changes.emit('change', change('Observation', 'o-3'));
  expect((await stream.next()).value?.id).toBe('o-1');
  expect(entries).toEqual([{ ctx: clinician, action: 'read', patientIds: ['p-1'], entities: ['Observation/o-1'], outcome: '0', description: 'GraphQL subscription delivery', remoteAddress: '192.0.2.9' }]);
  expect((await stream.next()).value?.id).toBe('o-3');
  expect(entries.map((e) => e.entities)).toEqual([['Observation/o-1'], ['Observation/o-3']]);
  await stream.return?.();
  expect(changes.listenerCount('change')).toBe(0);
});

test('once the subscriber stops standing, the stream ends before anything more is audited', async () => {
  const { all, changes, entries } = sources(['o-1', 'o-2'], [resultOf('o-1'), resultOf('o-2')]);
  let stands = true;
  const stream = patientChanges(all, { ctx: clinician, standing: async () => stands }, 'p-1');
  changes.emit('change', change('Observation', 'o-1'));
  expect((await stream.next()).done).toBe(false);
  stands = false;
  changes.emit('change', change('Observation', 'o-2'));
  expect(await stream.next()).toEqual({ value: undefined, done: true });
  expect(entries.map((e) => e.entities)).toEqual([['Observation/o-1']]);
  expect(changes.listenerCount('change')).toBe(0);
});

test('alerts are the first versions of Flags only, each audited as it goes out', async () => {
  const { all, changes, entries } = sources(['f-1', 'o-1'], [flag, resultOf('o-1')]);
  const stream = raisedAlerts(all, { ctx: clinician });
  changes.emit('change', change('Observation', 'o-1'));
  changes.emit('change', change('Flag', 'f-1', '2'));
  changes.emit('change', change('Flag', 'f-1'));
  expect((await stream.next()).value?.resourceType).toBe('Flag');
  expect(entries.map((e) => e.entities)).toEqual([['Flag/f-1']]);
  await stream.return?.();
});

test('a researcher may subscribe to neither, and nothing listens for them', () => {
  const { all, changes } = sources([], []);
  const researcher: RequestContext = { ...clinician, role: 'researcher' };
  expect(() => patientChanges(all, { ctx: researcher }, 'p-1')).toThrow('Researchers may not read patient-level data');
  expect(() => raisedAlerts(all, { ctx: researcher })).toThrow('Researchers may not read patient-level data');
  expect(changes.listenerCount('change')).toBe(0);
});
