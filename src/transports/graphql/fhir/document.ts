/**
 * Rewrites a parsed query into the strict GraphQL the schema checks, for the forms the FHIR GraphQL spec
 * and its test cases use:
 * - unquoted argument values (`Patient(id: example)`, `name(use: official)`, `PatientList(active: true)`)
 *   parse as enum, boolean or number literals; where the argument is a String or ID they become strings;
 * - fields selected directly on a reference's `resource` (`resource { active }`) are meant for whatever
 *   type the resource turns out to be; they become `... on T { active }` for each type that has the field;
 * - `@slice(path: "use")` needs `use` of each item even when it is not selected; it is fetched under an
 *   alias that the output never shows.
 */
import {
  ArgumentNode,
  DocumentNode,
  FieldNode,
  getNamedType,
  GraphQLError,
  GraphQLID,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  InlineFragmentNode,
  Kind,
  SelectionNode,
  TypeInfo,
  ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { SLICE_KEY } from './directives';

export function normalizeDocument(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node: ArgumentNode): ArgumentNode | undefined {
        const type = typeInfo.getInputType();
        const named = type && getNamedType(type);
        if (named !== GraphQLString && named !== GraphQLID) return undefined;
        const value = asString(node.value);
        return value === node.value ? undefined : { ...node, value };
      },
      Field(node: FieldNode): FieldNode | undefined {
        const type = typeInfo.getType();
        const named = type && getNamedType(type);
        let selections = node.selectionSet?.selections;
        if (!selections) return undefined;
        if (named instanceof GraphQLUnionType) selections = spreadOverMembers(schema, named, selections);
        const path = sliceField(node);
        if (path) selections = [...selections, { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: SLICE_KEY }, name: { kind: Kind.NAME, value: path } }];
        return selections === node.selectionSet?.selections ? undefined : { ...node, selectionSet: { kind: Kind.SELECTION_SET, selections } };
      },
    })
  );
}

function asString(value: ValueNode): ValueNode {
  switch (value.kind) {
    case Kind.ENUM:
    case Kind.INT:
    case Kind.FLOAT:
      return { kind: Kind.STRING, value: value.value };
    case Kind.BOOLEAN:
      return { kind: Kind.STRING, value: String(value.value) };
    case Kind.LIST: {
      const values = value.values.map(asString);
      return values.some((v, i) => v !== value.values[i]) ? { ...value, values } : value;
    }
    default:
      return value;
  }
}

function spreadOverMembers(schema: GraphQLSchema, union: GraphQLUnionType, selections: readonly SelectionNode[]): readonly SelectionNode[] {
  const direct = selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value !== '__typename');
  if (!direct.length) return selections;
  const rest = selections.filter((s) => !direct.includes(s as FieldNode));
  const fragments: InlineFragmentNode[] = [];
  for (const member of schema.getPossibleTypes(union)) {
    const fields = member.getFields();
    const applicable = direct.filter((f) => fields[f.name.value]);
    if (!applicable.length) continue;
    fragments.push({
      kind: Kind.INLINE_FRAGMENT,
      typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: member.name } },
      selectionSet: { kind: Kind.SELECTION_SET, selections: applicable },
    });
  }
  // A field no member has stays where it was, so validation names it as unknown.
  const unknown = direct.filter((f) => !fragments.some((fr) => fr.selectionSet.selections.includes(f)));
  return [...rest, ...unknown, ...fragments];
}

function sliceField(node: FieldNode): string | undefined {
  const arg = node.directives?.find((d) => d.name.value === 'slice')?.arguments?.find((a) => a.name.value === 'path');
  if (arg?.value.kind !== Kind.STRING || arg.value.value === '$index') return undefined;
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(arg.value.value)) throw new GraphQLError(`@slice(path:) takes an element name or "$index", not "${arg.value.value}"`, { nodes: arg });
  return arg.value.value;
}

/** The response key under which an instance-level query reads its resource; the answer unwraps it. */
export const INSTANCE_KEY = '_instance';

/**
 * An instance-level query (`Patient/example/$graphql`, `{ identifier { value } }`) selects fields of that
 * resource: it runs as `{ _instance: Patient(id: "example") { identifier { value } } }` on the same schema.
 */
export function rootedAt(document: DocumentNode, resourceType: string, id: string): DocumentNode {
  return {
    ...document,
    definitions: document.definitions.map((definition) => {
      if (definition.kind !== Kind.OPERATION_DEFINITION) return definition;
      if (definition.operation !== 'query') throw new GraphQLError(`Only queries run against ${resourceType}/${id}; send mutations to $graphql at the base`, { nodes: definition });
      const field: FieldNode = {
        kind: Kind.FIELD,
        alias: { kind: Kind.NAME, value: INSTANCE_KEY },
        name: { kind: Kind.NAME, value: resourceType },
        arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: { kind: Kind.STRING, value: id } }],
        selectionSet: definition.selectionSet,
      };
      return { ...definition, selectionSet: { kind: Kind.SELECTION_SET, selections: [field] } };
    }),
  };
}

/** Strings and comments are skipped; an argument value follows `(`, `,` or a space, then `name:`. */
const BARE_VALUE = /("""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*)|([(,\s][_A-Za-z][_A-Za-z0-9]*\s*:\s*)([A-Za-z0-9][A-Za-z0-9\-.]*)(?=[\s,)])/g;
const NAME_OR_NUMBER = /^(?:[_A-Za-z][_A-Za-z0-9]*|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

/**
 * The spec writes ids unquoted (`Patient(id: example)`), and FHIR ids may hold `-` and `.`, which GraphQL
 * cannot lex (`Patient(id: pat-1)`). Such values are quoted before parsing; names and numbers are left to
 * the parser and to `normalizeDocument`.
 */
export function quoteBareValues(query: string): string {
  return query.replace(BARE_VALUE, (match, skipped: string | undefined, prefix: string, value: string) => {
    if (skipped !== undefined || NAME_OR_NUMBER.test(value)) return match;
    return `${prefix}"${value}"`;
  });
}
