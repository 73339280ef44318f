/**
 * What a live subscriber receives. Each change event is checked against the subscriber's access at the moment
 * of delivery (not only when subscribing): a Consent revoked mid-subscription stops the flow at once, and a
 * subscriber that stopped standing (over graphql-ws: a token that expired, was revoked or whose client was
 * deactivated) is sent nothing more. A delivery is a read of patient data like any other: its audit entry is
 * appended here, as it is chosen, so the transport that carries it audits nothing.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { AuditTrail } from '../audit/types';
import type { AccessPolicy } from '../consent/access';
import type { RequestContext } from '../core/context';
import type { ChangeEvent } from '../store/changes';
import type { ChangedResources } from '../store/read-models/changed-resources';
import { type ChangeFeed, mapAsync } from './changes';

export interface DeliverySources {
  changes: ChangeFeed;
  changedResources: ChangedResources;
  access: AccessPolicy;
  audit: AuditTrail;
}

export interface Subscriber {
  ctx: RequestContext;
  /** Whether the subscriber still stands, asked before each delivery; the stream ends at the first no. */
  standing?: () => Promise<boolean>;
}

/** Every new version of a resource in the patient's record that the subscriber may see. */
export function patientChanges(sources: DeliverySources, subscriber: Subscriber, patientId: string): AsyncIterableIterator<Resource> {
  sources.access.assertMayRead(subscriber.ctx, 'Patient');
  return deliveries(sources, subscriber, (event) => visible(sources, subscriber, event, patientId));
}

/** Care-pathway alerts (Flag resources) as they are raised, for the care teams that may see them. */
export function raisedAlerts(sources: DeliverySources, subscriber: Subscriber): AsyncIterableIterator<Resource> {
  sources.access.assertMayRead(subscriber.ctx, 'Flag');
  return deliveries(sources, subscriber, (event) => (event.resourceType === 'Flag' && event.versionId === '1' ? visible(sources, subscriber, event) : Promise.resolve(undefined)));
}

function visible(sources: DeliverySources, subscriber: Subscriber, event: ChangeEvent, ofPatient?: string): Promise<Resource | undefined> {
  if (event.deleted) return Promise.resolve(undefined);
  return sources.changedResources.visible(sources.access.readScope(subscriber.ctx), event, ofPatient);
}

/**
 * The resources chosen from the change feed, while the subscriber stands: the stream ends (complete) at the
 * first delivery after it stopped standing, before anything more is audited or sent.
 */
function deliveries(sources: DeliverySources, subscriber: Subscriber, choose: (event: ChangeEvent) => Promise<Resource | undefined>): AsyncIterableIterator<Resource> {
  const source = mapAsync(sources.changes.events(), choose);
  return {
    async next(): Promise<IteratorResult<Resource>> {
      const item = await source.next();
      if (item.done) return item;
      if (subscriber.standing && !(await subscriber.standing())) {
        await source.return?.();
        return { value: undefined, done: true };
      }
      const resource = item.value;
      await sources.audit.append({
        ctx: subscriber.ctx,
        action: 'read',
        patientIds: await sources.audit.patientsSeen([resource]),
        entities: [`${resource.resourceType}/${resource.id}`],
        outcome: '0',
        description: 'GraphQL subscription delivery',
        remoteAddress: subscriber.ctx.remoteAddress,
      });
      return item;
    },
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
