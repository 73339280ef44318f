/**
 * Live updates over graphql-ws. Each change event is checked against the subscriber's access at the moment
 * of delivery (not only when subscribing): a Consent revoked mid-subscription stops the flow at once, and a
 * token that expired, was revoked or whose client was deactivated ends the subscription at its next delivery.
 */
import 'reflect-metadata';
import type { Resource } from '@medplum/fhirtypes';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { mapAsync } from '../../../notify/changes';
import type { ChangeEvent } from '../../../store/changes';
import type { DomainContext } from './context';

function visible(context: DomainContext, event: ChangeEvent, ofPatient?: string): Promise<Resource | undefined> {
  if (event.deleted) return Promise.resolve(undefined);
  return context.services.changedResources.visible(context.services.access.readScope(context.ctx), event, ofPatient);
}

/**
 * What goes out: each resource the subscriber may see, while its token stands; the stream ends (complete) at
 * the first delivery after it stopped standing, before anything more is sent. A delivery is a read of patient
 * data like any other and is audited.
 */
function deliveries(context: DomainContext, source: AsyncIterableIterator<Resource>): AsyncIterableIterator<Resource> {
  return {
    async next(): Promise<IteratorResult<Resource>> {
      const item = await source.next();
      if (item.done) return item;
      if (context.standing && !(await context.standing())) {
        await source.return?.();
        return { value: undefined, done: true };
      }
      const resource = item.value;
      await context.services.audit.append({
        ctx: context.ctx,
        action: 'read',
        patientIds: await context.services.audit.patientsSeen([resource]),
        entities: [`${resource.resourceType}/${resource.id}`],
        outcome: '0',
        description: 'GraphQL subscription delivery',
        remoteAddress: context.ctx.remoteAddress,
      });
      return item;
    },
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

@Resolver()
export class LiveResolver {
  @Subscription(() => GraphQLJSON, {
    description: "Every new version of a resource in the patient's record that the subscriber may see",
    subscribe: ({ args, context }) => {
      const ctx = context as DomainContext;
      ctx.services.access.assertMayRead(ctx.ctx, 'Patient');
      return deliveries(ctx, mapAsync(ctx.services.changes.events(), (event) => visible(ctx, event, String(args.patientId))));
    },
  })
  resourceChanged(@Root() resource: Resource, @Arg('patientId', () => ID) _patientId: string): unknown {
    return resource;
  }

  @Subscription(() => GraphQLJSON, {
    description: 'Care-pathway alerts (Flag resources) as they are raised, for the care teams that may see them',
    subscribe: ({ context }) => {
      const ctx = context as DomainContext;
      ctx.services.access.assertMayRead(ctx.ctx, 'Flag');
      return deliveries(
        ctx,
        mapAsync(ctx.services.changes.events(), (event) => (event.resourceType === 'Flag' && event.versionId === '1' ? visible(ctx, event) : Promise.resolve(undefined)))
      );
    },
  })
  alertRaised(@Root() flag: Resource): unknown {
    return flag;
  }
}
