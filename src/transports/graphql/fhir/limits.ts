/**
 * Validation rules that refuse abusive queries before anything runs: nesting deeper than MAX_DEPTH, and
 * a cost above MAX_COST, where every field that reads the database (a read, a search, a reference) costs
 * one, times the page sizes of the searches it sits inside.
 */
import { ASTVisitor, FieldNode, FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';
import { DEFAULT_COUNT, MAX_COUNT } from '../../../store/search/execute';

export const MAX_DEPTH = 12;
export const MAX_COST = 5000;

const SEARCH_FIELD = /^[A-Z][A-Za-z]+(List|Connection)$/;
const READ_FIELD = /^[A-Z][A-Za-z]+$/;

interface Measure {
  depth: number;
  cost: number;
}

/**
 * A fragment measures the same wherever it is spread, so each is measured once (memo): fragments spreading
 * each other twice over, level after level, would otherwise take exponential time to refuse.
 */
function measure(selectionSet: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, seen: Set<string>, memo = new Map<string, Measure>()): Measure {
  let depth = 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    let inner: Measure | undefined;
    if (selection.kind === Kind.FIELD) {
      const child = selection.selectionSet ? measure(selection.selectionSet, fragments, seen, memo) : { depth: 0, cost: 0 };
      inner = { depth: child.depth + 1, cost: fieldCost(selection) + child.cost * multiplier(selection) };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, fragments, seen, memo);
    } else {
      const fragment = fragments[selection.name.value];
      // A fragment that spreads itself is refused by NoFragmentCyclesRule; do not loop on it here.
      if (!fragment || seen.has(fragment.name.value)) continue;
      const name = fragment.name.value;
      if (!memo.has(name)) memo.set(name, measure(fragment.selectionSet, fragments, new Set([...seen, name]), memo));
      inner = memo.get(name) as Measure;
    }
    depth = Math.max(depth, inner.depth);
    cost += inner.cost;
  }
  return { depth, cost };
}

function fieldCost(field: FieldNode): number {
  const name = field.name.value;
  return name === 'resource' || READ_FIELD.test(name) || SEARCH_FIELD.test(name) ? 1 : 0;
}

/** How many times a field's children run: once per result of a search, once otherwise. */
function multiplier(field: FieldNode): number {
  if (!SEARCH_FIELD.test(field.name.value)) return 1;
  const count = field.arguments?.find((a) => a.name.value === '_count')?.value;
  if (count?.kind === Kind.INT || count?.kind === Kind.STRING) return Math.min(Number(count.value) || 0, MAX_COUNT);
  return field.name.value.endsWith('Connection') ? DEFAULT_COUNT : MAX_COUNT;
}

export const fhirQueryLimits: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(operation) {
    const fragments = Object.fromEntries(context.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
    const { depth, cost } = measure(operation.selectionSet, fragments, new Set());
    if (depth > MAX_DEPTH) context.reportError(new GraphQLError(`Query is nested ${depth} levels deep; at most ${MAX_DEPTH} are allowed`, { nodes: operation }));
    if (cost > MAX_COST) {
      context.reportError(new GraphQLError(`Query would cost ${cost} (reads and searches, times the page sizes they run under); at most ${MAX_COST} is allowed. Use smaller _count values or fewer nested searches`, { nodes: operation }));
    }
  },
});
