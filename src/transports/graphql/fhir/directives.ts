/**
 * The FHIR GraphQL directives that reshape the answer (@flatten, @first, @singleton, @slice), applied to
 * the executed result by walking it beside the query. The spec's output is also FHIR JSON, which has no
 * nulls and no empty arrays: those are left out here too.
 */
import {
  DirectiveLocation,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLDirective,
  GraphQLError,
  GraphQLNonNull,
  GraphQLString,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';

export const fhirDirectives = [
  new GraphQLDirective({ name: 'flatten', locations: [DirectiveLocation.FIELD], description: "Output the field's children in its parent's place, as lists" }),
  new GraphQLDirective({ name: 'first', locations: [DirectiveLocation.FIELD], description: 'Only the first item of a list' }),
  new GraphQLDirective({ name: 'singleton', locations: [DirectiveLocation.FIELD], description: 'One value, not a list, inside @flatten; more than one is an error' }),
  new GraphQLDirective({
    name: 'slice',
    locations: [DirectiveLocation.FIELD],
    description: 'Inside @flatten: suffix each child name with this element of the item, or its position for "$index"',
    args: { path: { type: new GraphQLNonNull(GraphQLString) } },
  }),
];

/** The alias under which the element a @slice(path:) names is fetched; it is never output. */
export const SLICE_KEY = '_sliceKey';

type Json = unknown;
type JsonObject = Record<string, Json>;

function has(field: FieldNode, name: string): boolean {
  return !!field.directives?.some((d) => d.name.value === name);
}

function slicePath(field: FieldNode): string | undefined {
  const arg = field.directives?.find((d) => d.name.value === 'slice')?.arguments?.find((a) => a.name.value === 'path');
  return arg?.value.kind === Kind.STRING ? arg.value.value : undefined;
}

/**
 * The fields of a selection set by response key, through fragments. Fragments have already been applied by
 * execution, so whichever spread matched contributed its keys. Fields with one key are one field in the
 * result (GraphQL merges them), so their selections are merged here too; the first one's directives count.
 */
function fieldsByKey(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, into = new Map<string, FieldNode>()): Map<string, FieldNode> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      const earlier = into.get(key);
      if (!earlier) into.set(key, selection);
      else if (earlier.selectionSet && selection.selectionSet) {
        into.set(key, { ...earlier, selectionSet: { ...earlier.selectionSet, selections: [...earlier.selectionSet.selections, ...selection.selectionSet.selections] } });
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      fieldsByKey(selection.selectionSet, fragments, into);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment) fieldsByKey(fragment.selectionSet, fragments, into);
    }
  }
  return into;
}

export function shapeResult(document: DocumentNode, operation: OperationDefinitionNode, data: JsonObject): JsonObject {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f])
  );
  return new Shaper(fragments).object(data, operation.selectionSet);
}

class Shaper {
  constructor(private readonly fragments: Map<string, FragmentDefinitionNode>) {}

  object(value: JsonObject, selectionSet: SelectionSetNode): JsonObject {
    const out: JsonObject = {};
    this.emit(out, value, selectionSet, false, '');
    return out;
  }

  private value(value: Json, selectionSet: SelectionSetNode | undefined): Json {
    if (Array.isArray(value)) return value.map((v) => this.value(v, selectionSet)).filter((v) => v !== undefined);
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'object' && selectionSet) return this.object(value as JsonObject, selectionSet);
    return value;
  }

  /** Writes the fields of `value` into `target`; inside @flatten every value is appended to a list. */
  private emit(target: JsonObject, value: JsonObject, selectionSet: SelectionSetNode, flattened: boolean, suffix: string): void {
    for (const [key, field] of fieldsByKey(selectionSet, this.fragments)) {
      if (key === SLICE_KEY) continue;
      let item = value[key];
      if (item === null || item === undefined) continue;
      if (has(field, 'first') && Array.isArray(item)) {
        if (!item.length) continue;
        item = item[0];
      }
      if (has(field, 'flatten')) {
        const path = slicePath(field);
        const items = Array.isArray(item) ? item : [item];
        items.forEach((child, index) => {
          if (child === null || typeof child !== 'object' || !field.selectionSet) return;
          const slice = path === undefined ? '' : `.${path === '$index' ? index : String((child as JsonObject)[SLICE_KEY] ?? '')}`;
          this.emit(target, child as JsonObject, field.selectionSet, true, suffix + slice);
        });
        continue;
      }
      const shaped = this.value(item, field.selectionSet);
      if (shaped === undefined || (Array.isArray(shaped) && !shaped.length)) continue;
      const name = key + suffix;
      if (has(field, 'singleton')) {
        const values = Array.isArray(shaped) ? shaped : [shaped];
        if (values.length > 1 || (flattened && name in target)) throw new GraphQLError(`@singleton: "${key}" has more than one value`, { nodes: field });
        target[name] = values[0];
      } else if (flattened) {
        target[name] = [...((target[name] as Json[] | undefined) ?? []), ...(Array.isArray(shaped) ? shaped : [shaped])];
      } else {
        target[name] = shaped;
      }
    }
  }
}
