/**
 * One FHIR GraphQL request from text to `{ data, errors }`: parse, rewrite the spec's lenient forms,
 * validate (with the depth and cost limits), execute, and reshape by the FHIR directives.
 */
import { DocumentNode, execute, GraphQLError, GraphQLFormattedError, GraphQLSchema, Kind, OperationDefinitionNode, parse, specifiedRules, validate } from 'graphql';
import type { FhirGraphQLContext } from './context';
import { shapeResult } from './directives';
import { INSTANCE_KEY, normalizeDocument, quoteBareValues, rootedAt } from './document';
import { fhirQueryLimits } from './limits';

export interface FhirGraphQLRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** GET requests may only read: a mutation over GET could be triggered by a link. */
  allowMutations: boolean;
  /** The resource an instance-level query runs against. */
  root?: { resourceType: string; id: string };
}

export interface FhirGraphQLResult {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

const failed = (errors: readonly GraphQLError[]): FhirGraphQLResult => ({ errors: errors.map((e) => e.toJSON()) });

export async function runFhirGraphQL(schema: GraphQLSchema, request: FhirGraphQLRequest, context: FhirGraphQLContext): Promise<FhirGraphQLResult> {
  const { root } = request;
  let document: DocumentNode;
  try {
    const parsed = parse(quoteBareValues(request.query));
    document = normalizeDocument(schema, root ? rootedAt(parsed, root.resourceType, root.id) : parsed);
  } catch (err) {
    if (err instanceof GraphQLError) return failed([err]);
    throw err;
  }
  const validationErrors = validate(schema, document, [...specifiedRules, fhirQueryLimits]);
  if (validationErrors.length) return failed(validationErrors);
  const operation = chosenOperation(document, request.operationName);
  if (operation?.operation === 'mutation' && !request.allowMutations) return failed([new GraphQLError('Mutations must be sent with POST')]);

  const result = await execute({ schema, document, contextValue: context, variableValues: request.variables, operationName: request.operationName });
  const errors = [...(result.errors ?? [])];
  let data = (result.data as Record<string, unknown> | null | undefined) ?? null;
  if (data && operation) {
    try {
      data = shapeResult(document, operation, data);
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      errors.push(err);
      data = null;
    }
  }
  if (root && data) data = (data[INSTANCE_KEY] as Record<string, unknown> | undefined) ?? null;
  const formatted = errors.map((e) => {
    const json = e.toJSON();
    return root && json.path?.[0] === INSTANCE_KEY ? { ...json, path: json.path.slice(1) } : json;
  });
  return formatted.length ? { data, errors: formatted } : { data };
}

function chosenOperation(document: DocumentNode, operationName?: string): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
}
