/**
 * Introspection answers, computed once per distinct query and shared. The merged schema's standard
 * introspection answer is about 23 MB of JSON and takes some 150 MB of heap while it is built; GraphiQL and
 * other tools send it on every page load, so several at once would each pay that. The schema never changes
 * while the server runs, so the answer for a given query text never does either.
 */
import { DocumentNode, Kind, OperationDefinitionNode, parse } from 'graphql';

/** How many different introspection queries (tools differ slightly in what they ask) are kept. */
const MAX_ENTRIES = 4;

export interface IntrospectionAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

export class IntrospectionCache {
  private readonly answers = new Map<string, Promise<IntrospectionAnswer>>();

  /** The shared answer for an introspection-only request, or undefined for any other request. */
  answer(body: unknown, compute: () => Promise<IntrospectionAnswer>): Promise<IntrospectionAnswer> | undefined {
    const request = body as { query?: unknown; operationName?: unknown; variables?: unknown } | undefined;
    if (typeof request?.query !== 'string' || !isIntrospectionOnly(request.query)) return undefined;
    const key = JSON.stringify([request.query, request.operationName ?? null, request.variables ?? null]);
    let answer = this.answers.get(key);
    if (!answer) {
      answer = compute().then((computed) => {
        // An error answer (e.g. a malformed variable) is not worth keeping.
        if (computed.status !== 200) this.answers.delete(key);
        return computed;
      });
      if (this.answers.size >= MAX_ENTRIES) this.answers.delete(this.answers.keys().next().value as string);
      this.answers.set(key, answer);
    }
    return answer;
  }
}

/** True when every operation selects only `__schema`, `__type` and `__typename` at its root. */
export function isIntrospectionOnly(query: string): boolean {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return false;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operations.length) return false;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  // Each fragment is judged once: fragments spreading each other twice over, level after level, would
  // otherwise take exponential time to walk (a cycle, refused later by validation, counts as not introspection).
  const judged = new Map<string, boolean>();
  const rootOnlyIntrospection = (selections: OperationDefinitionNode['selectionSet']['selections'], seen: Set<string>): boolean =>
    selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__');
      if (selection.kind === Kind.INLINE_FRAGMENT) return rootOnlyIntrospection(selection.selectionSet.selections, seen);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) return false;
      const name = fragment.name.value;
      if (!judged.has(name)) judged.set(name, rootOnlyIntrospection(fragment.selectionSet.selections, new Set([...seen, name])));
      return judged.get(name) as boolean;
    });
  return operations.every((operation) => operation.operation === 'query' && rootOnlyIntrospection(operation.selectionSet.selections, new Set()));
}
