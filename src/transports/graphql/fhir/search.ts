/**
 * Searches in GraphQL: `<T>List(...)` and `<T>Connection(...)` at the root, and the reverse references
 * `<T>List(_reference: patient)` inside a resource. Root arguments are the type's search parameters (with `_`
 * for `-`), and every search runs through `repo.search` with the same parser and consent filter as REST.
 *
 * Reverse references take their further search parameters as one REST query string (`_search`) instead of an
 * argument per parameter: there are 11,100 reverse fields, and an argument per parameter on each (290,000
 * arguments, 86% of the schema) made the standard introspection answer 52 MB and cost over 1 GB of heap, so
 * the first GraphiQL visit killed a server under its shipped heap bound.
 */
import type { Resource } from '@medplum/fhirtypes';
import {
  GraphQLError,
  GraphQLFieldConfig,
  GraphQLFieldConfigArgumentMap,
  GraphQLFieldConfigMap,
  GraphQLFloat,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLResolveInfo,
  GraphQLString,
  Kind,
  SelectionSetNode,
} from 'graphql';
import { assertScopesAllow } from '../../../consent/scopes';
import { allResourceTypes, searchParametersOf } from '../../../core/definitions';
import { FhirError } from '../../../core/errors';
import { parseQuery, Query } from '../../../fhir/router';
import { DEFAULT_COUNT, MAX_COUNT, SearchPage } from '../../../store/search/execute';
import type { FhirGraphQLContext } from './context';
import type { FhirTypeRegistry } from './types';

type Args = Record<string, unknown>;

/** GraphQL argument name → FHIR search parameter code, per resource type. */
const parameterNames = new Map<string, Map<string, string>>();

function searchParameterNames(resourceType: string): Map<string, string> {
  let names = parameterNames.get(resourceType);
  if (!names) {
    names = new Map(searchParametersOf(resourceType).map((sp) => [(sp.code as string).replace(/-/g, '_'), sp.code as string]));
    parameterNames.set(resourceType, names);
  }
  return names;
}

export function searchArguments(resourceType: string, connection: boolean): GraphQLFieldConfigArgumentMap {
  const args: GraphQLFieldConfigArgumentMap = {};
  for (const name of searchParameterNames(resourceType).keys()) args[name] = { type: GraphQLString };
  args._count = { type: GraphQLInt, description: `Page size (at most ${MAX_COUNT})` };
  args._offset = { type: GraphQLInt };
  args._sort = { type: GraphQLString, description: 'Comma-separated parameters, "-" for descending' };
  if (connection) {
    args._cursor = { type: GraphQLString, description: 'A cursor from first/previous/next' };
    args._total = { type: GraphQLString, description: 'none, estimate or accurate (the default when `count` is selected)' };
  }
  return args;
}

const SEARCH_STRING = {
  type: GraphQLString,
  description: 'Further search parameters of the referring type, paging and sorting included, as after `?` in REST (e.g. "code=http://loinc.org|4548-4&_sort=-date&_count=10")',
};

/** Does the field's selection ask for this subfield, directly or through fragments? */
function selects(info: GraphQLResolveInfo, field: string): boolean {
  const inSet = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === field;
      if (s.kind === Kind.INLINE_FRAGMENT) return inSet(s.selectionSet);
      return inSet(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => inSet(node.selectionSet));
}

/** The REST query the arguments stand for: the same text a client would put after `?`. */
function toQuery(resourceType: string, args: Args): Query {
  const names = searchParameterNames(resourceType);
  const query: Query = {};
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    if (name === '_search') {
      for (const [code, searched] of new URLSearchParams(String(value))) query[code] = searched;
      continue;
    }
    query[names.get(name) ?? name] = String(value);
  }
  return query;
}

async function runSearch(context: FhirGraphQLContext, resourceType: string, query: Query): Promise<{ page: SearchPage; resources: Resource[] }> {
  try {
    assertScopesAllow(context.ctx, resourceType, 's');
    const page = await context.repo.search(context.ctx, parseQuery(resourceType, query));
    return { page, resources: page.matches.map((m) => context.loaders.remember(JSON.parse(m.content))) };
  } catch (err) {
    if (err instanceof FhirError) throw new GraphQLError(err.message, { extensions: { outcome: err.outcome } });
    throw err;
  }
}

/**
 * `<T>List` returns every match or fails: a list has no paging links, so cutting it short silently would
 * look like the whole answer. Asking for a page with `_count` is explicit, and is answered as asked.
 */
async function listResources(context: FhirGraphQLContext, resourceType: string, query: Query): Promise<Resource[]> {
  const paged = query._count !== undefined;
  const { page, resources } = await runSearch(context, resourceType, { _total: 'none', ...(paged ? {} : { _count: String(MAX_COUNT) }), ...query });
  if (!paged && page.nextCursor) {
    throw new GraphQLError(`${resourceType}List matches more than ${MAX_COUNT} resources; narrow the search, page with _count/_offset, or use ${resourceType}Connection`);
  }
  return resources;
}

/**
 * A connection counts its matches only when the query selects `count` (or names `_total`): a count reads every
 * match, many times the cost of the page on a large result, as REST without `_total`.
 */
async function connection(context: FhirGraphQLContext, resourceType: string, query: Query, wantsCount: boolean) {
  const { page, resources } = await runSearch(context, resourceType, wantsCount ? { _total: 'accurate', ...query } : query);
  const pageSize = Math.min(Number(query._count ?? DEFAULT_COUNT), MAX_COUNT);
  return {
    count: page.total,
    offset: query._cursor ? undefined : Number(query._offset ?? 0),
    pagesize: pageSize,
    edges: resources.map((resource) => ({ mode: 'match', resource })),
    // Keyset paging has no cursor for the last page, and the first page is the query without one.
    first: undefined,
    previous: page.prevCursor,
    next: page.nextCursor,
    last: undefined,
  };
}

export class SearchFields {
  private readonly connections = new Map<string, GraphQLObjectType>();
  private readonly reverseTargets = reverseReferenceIndex();

  constructor(private readonly types: FhirTypeRegistry) {}

  /** `<T>(id)`, `<T>List` and `<T>Connection` for every resource type: the root query. */
  rootFields(): GraphQLFieldConfigMap<unknown, FhirGraphQLContext> {
    const fields: GraphQLFieldConfigMap<unknown, FhirGraphQLContext> = {};
    for (const resourceType of allResourceTypes()) {
      fields[resourceType] = {
        type: this.types.output(resourceType),
        args: { id: { type: new GraphQLNonNull(GraphQLString) } },
        resolve: (_source, args, context) => context.loaders.references.load(`${resourceType}/${(args as { id: string }).id}`),
      };
      fields[`${resourceType}List`] = this.listField(resourceType, () => ({}), searchArguments(resourceType, false));
      fields[`${resourceType}Connection`] = this.connectionField(resourceType, () => ({}), searchArguments(resourceType, true));
    }
    return fields;
  }

  /** Inside a resource: the resources of each type that refer to it through a reference search parameter. */
  reverseFields(targetType: string): GraphQLFieldConfigMap<unknown, FhirGraphQLContext> {
    const fields: GraphQLFieldConfigMap<unknown, FhirGraphQLContext> = {};
    for (const [sourceType, codes] of this.reverseTargets.get(targetType) ?? []) {
      const reference = (source: unknown, args: Args): Query => {
        const code = String(args._reference);
        if (!codes.includes(code)) throw new GraphQLError(`_reference: ${sourceType} has no reference parameter "${code}" to ${targetType} (one of ${codes.join(', ')})`);
        return { [code]: `${targetType}/${(source as Resource).id}` };
      };
      const argument = { _reference: { type: new GraphQLNonNull(GraphQLString), description: `The ${sourceType} parameter that refers to this ${targetType}: ${codes.join(', ')}` }, _search: SEARCH_STRING };
      fields[`${sourceType}List`] = this.listField(sourceType, reference, argument);
      fields[`${sourceType}Connection`] = this.connectionField(sourceType, reference, argument);
    }
    return fields;
  }

  private listField(resourceType: string, fixed: (source: unknown, args: Args) => Query, args: GraphQLFieldConfigArgumentMap): GraphQLFieldConfig<unknown, FhirGraphQLContext> {
    return {
      type: new GraphQLList(this.types.output(resourceType)),
      args,
      resolve: (source, args, context) => listResources(context, resourceType, { ...toQuery(resourceType, without(args, '_reference')), ...fixed(source, args) }),
    };
  }

  private connectionField(resourceType: string, fixed: (source: unknown, args: Args) => Query, args: GraphQLFieldConfigArgumentMap): GraphQLFieldConfig<unknown, FhirGraphQLContext> {
    return {
      type: this.connectionType(resourceType),
      args,
      resolve: (source, args, context, info) =>
        connection(context, resourceType, { ...toQuery(resourceType, without(args, '_reference')), ...fixed(source, args) }, selects(info, 'count')),
    };
  }

  private connectionType(resourceType: string): GraphQLObjectType {
    let type = this.connections.get(resourceType);
    if (!type) {
      const edge = new GraphQLObjectType({
        name: `${resourceType}ConnectionEdge`,
        fields: () => ({
          mode: { type: GraphQLString, description: 'match (included resources are not returned here)' },
          score: { type: GraphQLFloat, description: 'Not computed by this server' },
          resource: { type: this.types.output(resourceType) },
        }),
      });
      type = new GraphQLObjectType({
        name: `${resourceType}Connection`,
        fields: () => ({
          count: { type: GraphQLInt, description: 'How many resources match (absent with _total=none)' },
          offset: { type: GraphQLInt },
          pagesize: { type: GraphQLInt },
          edges: { type: new GraphQLList(edge) },
          first: { type: GraphQLString },
          previous: { type: GraphQLString, description: 'Pass as _cursor for the previous page' },
          next: { type: GraphQLString, description: 'Pass as _cursor for the next page' },
          last: { type: GraphQLString },
        }),
      });
      this.connections.set(resourceType, type);
    }
    return type;
  }
}

function without(args: Args, name: string): Args {
  const rest = { ...args };
  delete rest[name];
  return rest;
}

/** target type → source type → the source's reference parameters that may point at the target. */
function reverseReferenceIndex(): Map<string, Map<string, string[]>> {
  const index = new Map<string, Map<string, string[]>>();
  for (const sourceType of allResourceTypes()) {
    for (const sp of searchParametersOf(sourceType)) {
      if (sp.type !== 'reference') continue;
      for (const target of sp.target ?? []) {
        const bySource = index.get(target) ?? new Map<string, string[]>();
        index.set(target, bySource);
        bySource.set(sourceType, [...(bySource.get(sourceType) ?? []), sp.code as string]);
      }
    }
  }
  return index;
}
