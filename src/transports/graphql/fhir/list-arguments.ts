/**
 * Arguments on a repeating element (FHIR GraphQL §"List navigation"): `_offset`/`_count` page the list,
 * `fhirpath` keeps the items for which the expression is true, and any primitive child filters by value
 * (`name(use: official)`, `extension(url: "…")`).
 */
import { evalFhirPath } from '@medplum/core';
import { GraphQLError, GraphQLFieldConfigArgumentMap, GraphQLInt, GraphQLString } from 'graphql';

const PAGING = new Set(['_offset', '_count', 'fhirpath']);

export function listArguments(childPrimitives: string[] = []): GraphQLFieldConfigArgumentMap {
  const args: GraphQLFieldConfigArgumentMap = {
    _offset: { type: GraphQLInt, description: 'Skip this many items' },
    _count: { type: GraphQLInt, description: 'Return at most this many items' },
    fhirpath: { type: GraphQLString, description: 'Keep the items for which this FHIRPath expression is true' },
  };
  for (const name of childPrimitives) args[name] = { type: GraphQLString, description: `Keep the items whose ${name} is this value` };
  return args;
}

export function applyListArguments(value: unknown, args: Record<string, unknown>): unknown {
  if (!Array.isArray(value)) return value;
  let items = value;
  for (const [name, wanted] of Object.entries(args)) {
    if (wanted === undefined || wanted === null || PAGING.has(name)) continue;
    items = items.filter((item) => matchesValue((item as Record<string, unknown> | null)?.[name], String(wanted)));
  }
  if (typeof args.fhirpath === 'string') {
    const expression = args.fhirpath;
    items = items.filter((item) => {
      try {
        return evalFhirPath(expression, item)[0] === true;
      } catch (err) {
        throw new GraphQLError(`fhirpath "${expression}": ${(err as Error).message}`);
      }
    });
  }
  const offset = nonNegative(args._offset, '_offset') ?? 0;
  const count = nonNegative(args._count, '_count');
  return items.slice(offset, count === undefined ? undefined : offset + count);
}

function matchesValue(actual: unknown, wanted: string): boolean {
  if (Array.isArray(actual)) return actual.some((a) => String(a) === wanted);
  return actual !== undefined && actual !== null && String(actual) === wanted;
}

function nonNegative(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || value < 0) throw new GraphQLError(`${name} must not be negative`);
  return value;
}
