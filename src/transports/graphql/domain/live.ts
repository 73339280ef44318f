/**
 * Live updates over graphql-ws. What each subscriber receives — checked against its access at each delivery,
 * ended once its token no longer stands, and audited as it goes out — is chosen in notify/deliveries.ts; the
 * resolvers here only adapt it to the schema.
 */
import 'reflect-metadata';
import type { Resource } from '@medplum/fhirtypes';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { patientChanges, raisedAlerts } from '../../../notify/deliveries';
import type { DomainContext } from './context';

@Resolver()
export class LiveResolver {
  @Subscription(() => GraphQLJSON, {
    description: "Every new version of a resource in the patient's record that the subscriber may see",
    subscribe: ({ args, context }) => {
      const ctx = context as DomainContext;
      return patientChanges(ctx.services, ctx, String(args.patientId));
    },
  })
  resourceChanged(@Root() resource: Resource, @Arg('patientId', () => ID) _patientId: string): unknown {
    return resource;
  }

  @Subscription(() => GraphQLJSON, {
    description: 'Care-pathway alerts (Flag resources) as they are raised, for the care teams that may see them',
    subscribe: ({ context }) => {
      const ctx = context as DomainContext;
      return raisedAlerts(ctx.services, ctx);
    },
  })
  alertRaised(@Root() flag: Resource): unknown {
    return flag;
  }
}
