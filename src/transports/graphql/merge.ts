/**
 * One schema from several: the FHIR GraphQL schema generated from the R4 definitions and the hand-written
 * domain schema. Root fields are merged; every other type must have a unique name (checked here, at start).
 */
import { GraphQLNamedType, GraphQLObjectType, GraphQLSchema, isSpecifiedScalarType } from 'graphql';

export function mergeSchemas(schemas: GraphQLSchema[]): GraphQLSchema {
  const types = new Map<string, GraphQLNamedType>();
  const roots = { query: {}, mutation: {}, subscription: {} } as Record<'query' | 'mutation' | 'subscription', Record<string, unknown>>;
  for (const schema of schemas) {
    const rootTypes = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean));
    for (const [name, type] of Object.entries(schema.getTypeMap())) {
      if (name.startsWith('__') || rootTypes.has(type as GraphQLObjectType) || isSpecifiedScalarType(type)) continue;
      const existing = types.get(name);
      if (existing && existing !== type) throw new Error(`GraphQL type ${name} is defined by two schemas`);
      types.set(name, type);
    }
    const add = (kind: keyof typeof roots, root: GraphQLObjectType | null | undefined) => {
      for (const [field, config] of Object.entries(root?.toConfig().fields ?? {})) {
        if (roots[kind][field]) throw new Error(`GraphQL root field ${kind}.${field} is defined by two schemas`);
        roots[kind][field] = config;
      }
    };
    add('query', schema.getQueryType());
    add('mutation', schema.getMutationType());
    add('subscription', schema.getSubscriptionType());
  }
  const root = (name: string, fields: Record<string, unknown>) =>
    Object.keys(fields).length ? new GraphQLObjectType({ name, fields: fields as never }) : undefined;
  return new GraphQLSchema({
    query: root('Query', roots.query) as GraphQLObjectType,
    mutation: root('Mutation', roots.mutation),
    // FHIR has a resource type called Subscription, so the root type of subscriptions needs another name.
    subscription: root('SubscriptionRoot', roots.subscription),
    types: [...types.values()],
    directives: [...new Map(schemas.flatMap((s) => s.getDirectives()).map((d) => [d.name, d])).values()],
  });
}
