/**
 * The FHIR part of Tonet's GraphQL schema, generated from the R4 definitions: reads, searches and
 * mutations of every resource type. Type names are FHIR's own, plus `Query`, `Mutation`, `<T>Input`,
 * `<T>Connection`, `<T>ConnectionEdge`, `ResourceList` and `FhirResourceJson`.
 */
import type { Resource } from '@medplum/fhirtypes';
import { GraphQLFieldConfigMap, GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, specifiedDirectives } from 'graphql';
import { assertScopesAllow } from '../../../consent/scopes';
import { allResourceTypes } from '../../../core/definitions';
import type { FhirGraphQLContext } from './context';
import { fhirDirectives } from './directives';
import { SearchFields } from './search';
import { FhirTypeRegistry } from './types';

/** Built once by the composition root (it takes seconds: some 1,600 types); every request shares it. */
export function buildFhirGraphQLSchema(): GraphQLSchema {
  let search: SearchFields | undefined;
  const types = new FhirTypeRegistry((resourceType) => (search as SearchFields).reverseFields(resourceType));
  search = new SearchFields(types);
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: () => search.rootFields() }),
    mutation: new GraphQLObjectType({ name: 'Mutation', fields: () => mutationFields(types) }),
    directives: [...specifiedDirectives, ...fhirDirectives],
  });
}

function mutationFields(types: FhirTypeRegistry): GraphQLFieldConfigMap<unknown, FhirGraphQLContext> {
  const fields: GraphQLFieldConfigMap<unknown, FhirGraphQLContext> = {};
  for (const resourceType of allResourceTypes()) {
    const output = types.output(resourceType);
    const res = { type: new GraphQLNonNull(types.input(resourceType)) };
    const id = { type: new GraphQLNonNull(GraphQLID) };
    fields[`${resourceType}Create`] = {
      type: output,
      args: { res },
      resolve: (_source, args, context) => {
        assertScopesAllow(context.ctx, resourceType, 'c');
        return context.repo.create(context.ctx, asResource(resourceType, args.res));
      },
    };
    fields[`${resourceType}Update`] = {
      type: output,
      args: { id, res },
      resolve: async (_source, args, context) => {
        assertScopesAllow(context.ctx, resourceType, 'u');
        return (await context.repo.update(context.ctx, { ...asResource(resourceType, args.res), id: args.id as string })).resource;
      },
    };
    fields[`${resourceType}Delete`] = {
      type: types.output('OperationOutcome'),
      args: { id },
      resolve: async (_source, args, context) => {
        assertScopesAllow(context.ctx, resourceType, 'd');
        await context.repo.delete(context.ctx, resourceType, args.id as string);
        return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `Deleted ${resourceType}/${args.id}` }] };
      },
    };
  }
  return fields;
}

/** Input objects come with nulls for what the client wrote as null; FHIR JSON has none. */
function asResource(resourceType: string, input: unknown): Resource {
  const json = JSON.parse(JSON.stringify(input, (_key, value) => (value === null ? undefined : value)));
  return { ...json, resourceType } as Resource;
}
