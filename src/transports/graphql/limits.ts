/**
 * Abusive queries are refused before they run: too deep (reference chains nested without end), too costly
 * (lists of lists) or too long. The same limits hold over HTTP and over WebSocket subscriptions, and follow
 * fragments, so that moving a selection into a fragment (or spreading one fragment inside another) buys no
 * depth and no cost. Each refusal answers with a clear GraphQL error.
 */
import {
  ASTVisitor,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  Kind,
  parse,
  SelectionSetNode,
  specifiedRules,
  validate,
  ValidationContext,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { getComplexity, simpleEstimator } from 'graphql-query-complexity';

export const MAX_DEPTH = 12;
/** The standard introspection query (what GraphiQL sends) nests 16 levels through its fragments; more finds nothing. */
export const MAX_INTROSPECTION_DEPTH = 16;
export const MAX_COST = 5000;
/** The largest GraphQL document (or WebSocket message) taken; real queries are a few kilobytes. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

/**
 * Refuses operations nested deeper than maxDepth, counting through fragment spreads and inline fragments
 * (introspection, `__schema` and `__type`, against MAX_INTROSPECTION_DEPTH), and operations that select
 * more fields than MAX_COST once fragments are expanded. Each fragment is measured once, so fragments that
 * spread each other many times over (a selection set doubling at every level) cost linear time to refuse,
 * before the cost estimate walks them.
 */
export function shapeLimit(maxDepth = MAX_DEPTH) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of context.getDocument().definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      const introspection: Shape = { depth: 0, fields: 0 };
      const shape = measure(operation.selectionSet, { fragments, memo: new Map(), visiting: new Set(), introspection });
      if (shape.depth > maxDepth) context.reportError(new GraphQLError(`Query is nested deeper than ${maxDepth} levels`, { nodes: shape.field ? [shape.field] : [operation] }));
      if (introspection.depth > MAX_INTROSPECTION_DEPTH) context.reportError(new GraphQLError(`Introspection is nested deeper than ${MAX_INTROSPECTION_DEPTH} levels`, { nodes: introspection.field ? [introspection.field] : [operation] }));
      const fields = shape.fields + introspection.fields;
      if (fields > MAX_COST) context.reportError(new GraphQLError(`Query selects ${fields} fields once its fragments are expanded, more than the allowed ${MAX_COST}`, { nodes: [operation], extensions: { code: 'QUERY_TOO_COSTLY' } }));
    },
  });
}

interface Shape {
  depth: number;
  /** Fields selected, fragments expanded wherever they are spread. */
  fields: number;
  /** The deepest field, for the error's location. */
  field?: FieldNode;
}

interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  memo: Map<string, Shape>;
  visiting: Set<string>;
  /** Introspection subtrees, measured apart against their own depth limit. */
  introspection: Shape;
}

/** A fragment's shape does not depend on where it is spread; a cycle (refused by another rule) counts nothing. */
function measure(selectionSet: SelectionSetNode, walk: Walk): Shape {
  let deepest: Shape = { depth: 0, fields: 0 };
  let fields = 0;
  for (const selection of selectionSet.selections) {
    let found: Shape;
    if (selection.kind === Kind.FIELD) {
      const below = selection.selectionSet ? measure(selection.selectionSet, walk) : { depth: 0, fields: 0 };
      found = { depth: below.depth + 1, fields: below.fields + 1, field: below.field ?? selection };
      if (selection.name.value === '__schema' || selection.name.value === '__type') {
        if (found.depth > walk.introspection.depth) Object.assign(walk.introspection, { depth: found.depth, field: found.field });
        walk.introspection.fields += found.fields;
        continue;
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      found = measure(selection.selectionSet, walk);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || walk.visiting.has(name)) continue;
      if (!walk.memo.has(name)) {
        walk.visiting.add(name);
        walk.memo.set(name, measure(fragment.selectionSet, walk));
        walk.visiting.delete(name);
      }
      found = walk.memo.get(name) as Shape;
    }
    fields += found.fields;
    if (found.depth > deepest.depth) deepest = found;
  }
  return { ...deepest, fields };
}

/** The cost of an operation with its variables (page sizes), fragments included; an error when over maxCost. */
export function costError(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string, maxCost = MAX_COST): GraphQLError | undefined {
  let cost: number;
  try {
    cost = getComplexity({ schema, query: document, variables, operationName, estimators: [simpleEstimator({ defaultComplexity: 1 })] });
  } catch (err) {
    // getComplexity refuses variables that do not fit the operation; that is the client's error to hear.
    return new GraphQLError((err as Error).message, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  if (cost > maxCost) return new GraphQLError(`Query costs ${cost}, more than the allowed ${maxCost}; ask for fewer fields or smaller pages`, { extensions: { code: 'QUERY_TOO_COSTLY' } });
  return undefined;
}

/** Cost is known only with the variables (page sizes), so it is checked once the operation is resolved. */
export function costLimitPlugin(maxCost = MAX_COST): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          const error = costError(schema, document, request.variables ?? {}, request.operationName ?? undefined, maxCost);
          if (error) throw error;
        },
      };
    },
  };
}

/**
 * Every limit at once, for a transport that does not go through Apollo (graphql-ws): size, syntax, the
 * standard validation rules with the depth limit, then cost. No errors means the operation may run.
 */
export function checkOperation(schema: GraphQLSchema, query: unknown, variables: unknown, operationName?: unknown): readonly GraphQLError[] {
  if (typeof query !== 'string') return [new GraphQLError('query must be a string')];
  if (Buffer.byteLength(query) > MAX_DOCUMENT_BYTES) return [new GraphQLError(`Query is longer than ${MAX_DOCUMENT_BYTES} bytes`)];
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (err) {
    return [err as GraphQLError];
  }
  const invalid = validate(schema, document, [...specifiedRules, shapeLimit()]);
  if (invalid.length) return invalid;
  const vars = variables && typeof variables === 'object' ? (variables as Record<string, unknown>) : {};
  const tooCostly = costError(schema, document, vars, typeof operationName === 'string' ? operationName : undefined);
  return tooCostly ? [tooCostly] : [];
}
