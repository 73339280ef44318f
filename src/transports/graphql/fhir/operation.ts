/**
 * `$graphql` at system level (`/fhir/$graphql`) and instance level (`/fhir/{type}/{id}/$graphql`, where
 * the query runs against that resource as its root), through the router's operation registry so the
 * bearer token, consent and audit are those of any FHIR request. GET takes `?query=` (read-only), POST a
 * JSON body `{ query, variables, operationName }` or the query text itself.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { GraphQLSchema } from 'graphql';
import { badRequest } from '../../../core/errors';
import type { FhirRequest, OperationHandler } from '../../../fhir/router';
import { values } from '../../../fhir/router';
import { createFhirGraphQLContext } from './context';
import { runFhirGraphQL } from './execute';

interface GraphQLBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export function graphqlOperation(schema: () => GraphQLSchema): OperationHandler {
  return {
    name: 'graphql',
    levels: ['system', 'instance'],
    methods: ['GET', 'POST'],
    async handle({ ctx, repo, router, request, resourceType, id }) {
      const body = graphqlBody(request);
      const context = createFhirGraphQLContext(ctx, repo, router.baseUrl);
      const allowMutations = request.method.toUpperCase() === 'POST';
      const root = resourceType && id ? { resourceType, id } : undefined;
      if (root) {
        // Read first, so a resource the caller may not see is a 404 like any read, not a GraphQL error.
        const resource = context.loaders.remember(await repo.read(ctx, root.resourceType, root.id));
        context.seen.push(resource);
        context.loaders.references.prime(`${root.resourceType}/${root.id}`, resource);
      }
      const result = await runFhirGraphQL(schema(), { ...body, allowMutations, root }, context);
      // The answer is GraphQL's { data, errors }, not a FHIR resource; the HTTP layer writes it as JSON.
      return { status: 200, resource: result as unknown as Resource, read: context.seen };
    },
  };
}

function graphqlBody(request: FhirRequest): GraphQLBody {
  if (request.method.toUpperCase() === 'GET') {
    const [query] = values(request.query.query);
    const [variables] = values(request.query.variables);
    const [operationName] = values(request.query.operationName);
    return checked({ query, variables: variables ? parseVariables(variables) : undefined, operationName });
  }
  if (Buffer.isBuffer(request.body)) return checked({ query: request.body.toString('utf8') });
  const body = (request.body ?? {}) as Partial<Record<keyof GraphQLBody, unknown>>;
  return checked({
    query: body.query as string,
    variables: typeof body.variables === 'string' ? parseVariables(body.variables) : (body.variables as GraphQLBody['variables']),
    operationName: (body.operationName as string | undefined) ?? undefined,
  });
}

function checked(body: Partial<GraphQLBody>): GraphQLBody {
  if (typeof body.query !== 'string' || !body.query.trim()) throw badRequest('$graphql needs a query (GET ?query=… or POST {"query": …})', ['query']);
  if (body.variables !== undefined && (body.variables === null || typeof body.variables !== 'object' || Array.isArray(body.variables))) {
    throw badRequest('variables must be a JSON object', ['variables']);
  }
  if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') throw badRequest('operationName must be a string', ['operationName']);
  return { query: body.query, variables: body.variables, operationName: body.operationName ?? undefined };
}

function parseVariables(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('variables is not valid JSON', ['variables']);
  }
}
