/**
 * GraphQL types generated from the R4 type schema (@medplum/core, loaded by core/definitions): one object
 * type and one input type per FHIR complex type, resource and backbone element, built lazily on first use.
 * Element rules follow http://hl7.org/fhir/R4/graphql.html: choice elements `value[x]` become one field per
 * type (`valueQuantity`), a primitive's id and extensions are `_name`, and FHIR names are kept as they are.
 */
import { getAllDataTypes, getDataType, InternalSchemaElement, InternalTypeSchema } from '@medplum/core';
import {
  GraphQLBoolean,
  GraphQLFieldConfig,
  GraphQLFieldConfigArgumentMap,
  GraphQLFieldConfigMap,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputFieldConfigMap,
  GraphQLInputObjectType,
  GraphQLInputType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLScalarType,
  GraphQLString,
  GraphQLUnionType,
  Kind,
} from 'graphql';
import { allResourceTypes } from '../../../core/definitions';
import type { FhirGraphQLContext } from './context';
import { resolveReference } from './context';
import { applyListArguments, listArguments } from './list-arguments';

/** One GraphQL field of a FHIR type: a plain element, or one type of a choice element. */
export interface ElementField {
  name: string;
  typeCode: string;
  isArray: boolean;
  element: InternalSchemaElement;
}

const INT_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt']);

export function isPrimitive(code: string): boolean {
  return /^[a-z]/.test(code) || code.startsWith('http://hl7.org/fhirpath/System.');
}

function primitiveScalar(code: string): GraphQLScalarType {
  if (code === 'boolean') return GraphQLBoolean;
  if (INT_TYPES.has(code)) return GraphQLInt;
  if (code === 'decimal') return GraphQLFloat;
  return GraphQLString;
}

/** The fields a FHIR type has in GraphQL, with `value[x]` expanded per type. */
export function elementFields(schema: InternalTypeSchema): ElementField[] {
  return Object.entries(schema.elements).flatMap(([key, element]) => {
    const isArray = !!element.isArray;
    if (!key.endsWith('[x]')) return [{ name: key, typeCode: element.type[0]?.code ?? 'string', isArray, element }];
    const base = key.slice(0, -3);
    return element.type.map((t) => ({ name: base + t.code.charAt(0).toUpperCase() + t.code.slice(1), typeCode: t.code, isArray, element }));
  });
}

/** Any resource, as JSON, where an input would need a union (contained resources, Bundle entries). */
const ResourceJsonScalar = new GraphQLScalarType({
  name: 'FhirResourceJson',
  description: 'A FHIR resource in its JSON form',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.OBJECT) throw new TypeError('FhirResourceJson must be an object; pass it as a variable');
    throw new TypeError('Pass a FhirResourceJson value as a variable');
  },
});

/**
 * The generated types, one instance per schema build. Reverse-reference and search fields on resources
 * are added by the caller through `resourceExtras`, which keeps search out of this module.
 */
export class FhirTypeRegistry {
  private readonly outputs = new Map<string, GraphQLObjectType>();
  private readonly inputs = new Map<string, GraphQLInputObjectType>();
  private readonly resourceTypes = new Set(allResourceTypes());
  private readonly dataTypeNames = new Set(Object.keys(getAllDataTypes()));
  readonly resourceUnion: GraphQLUnionType;

  constructor(private readonly resourceExtras: (resourceType: string) => GraphQLFieldConfigMap<unknown, FhirGraphQLContext>) {
    this.resourceUnion = new GraphQLUnionType({
      name: 'ResourceList',
      description: 'Any FHIR resource; select fields with `... on Patient { }` (or name the type in `resource(type:)`)',
      types: () => allResourceTypes().map((t) => this.output(t)),
      resolveType: (value: { resourceType?: string }) => value.resourceType,
    });
  }

  isResourceType(name: string): boolean {
    return this.resourceTypes.has(name);
  }

  output(name: string): GraphQLObjectType {
    let type = this.outputs.get(name);
    if (!type) {
      const schema = getDataType(name);
      type = new GraphQLObjectType<Record<string, unknown>, FhirGraphQLContext>({
        name,
        description: schema.description,
        fields: () => this.outputFields(name, schema),
      });
      this.outputs.set(name, type);
    }
    return type;
  }

  input(name: string): GraphQLInputObjectType {
    let type = this.inputs.get(name);
    if (!type) {
      const schema = getDataType(name);
      // Two backbone elements are themselves called …Input (TaskInput, StructureMapGroupInput).
      const inputName = this.dataTypeNames.has(`${name}Input`) ? `${name}_Input` : `${name}Input`;
      type = new GraphQLInputObjectType({ name: inputName, description: schema.description, fields: () => this.inputFields(name, schema) });
      this.inputs.set(name, type);
    }
    return type;
  }

  private outputFields(name: string, schema: InternalTypeSchema): GraphQLFieldConfigMap<Record<string, unknown>, FhirGraphQLContext> {
    const fields: GraphQLFieldConfigMap<Record<string, unknown>, FhirGraphQLContext> = {};
    if (this.resourceTypes.has(name)) fields.resourceType = { type: GraphQLString, resolve: () => name };
    for (const field of elementFields(schema)) {
      fields[field.name] = this.outputField(name, field);
      if (isPrimitive(field.typeCode)) {
        const element = this.output('Element');
        fields[`_${field.name}`] = {
          type: field.isArray ? new GraphQLList(element) : element,
          description: `Id and extensions of ${field.name}`,
        };
      }
    }
    if (name === 'Reference') {
      fields.resource = {
        type: this.resourceUnion,
        description: 'The referenced resource; null when `type` names another type, or when it cannot be read and `optional` is true',
        args: { optional: { type: GraphQLBoolean }, type: { type: GraphQLString } },
        resolve: (reference, args, context) => resolveReference(reference, args as { optional?: boolean | null; type?: string | null }, context),
      };
    }
    if (this.resourceTypes.has(name)) Object.assign(fields, this.resourceExtras(name));
    return fields;
  }

  private outputField(owner: string, field: ElementField): GraphQLFieldConfig<Record<string, unknown>, FhirGraphQLContext> {
    const description = field.element.description;
    const itemType = this.outputItemType(owner, field);
    if (!field.isArray) return { type: itemType, description };
    const args: GraphQLFieldConfigArgumentMap = listArguments(isPrimitive(field.typeCode) ? undefined : this.childPrimitives(field.typeCode));
    return {
      type: new GraphQLList(itemType),
      description,
      args,
      resolve: (source, fieldArgs) => applyListArguments(source[field.name], fieldArgs),
    };
  }

  private outputItemType(owner: string, field: ElementField): GraphQLOutputType {
    if (owner === 'Resource' || (this.resourceTypes.has(owner) && field.name === 'id')) return GraphQLID;
    if (isPrimitive(field.typeCode)) return primitiveScalar(field.typeCode);
    if (field.typeCode === 'Resource' || field.typeCode === 'DomainResource') return this.resourceUnion;
    return this.output(field.typeCode);
  }

  /** The primitive children of a complex type: what a list of it can be filtered by (`name(use: official)`). */
  private childPrimitives(typeCode: string): string[] {
    if (typeCode === 'Resource' || typeCode === 'DomainResource') return [];
    return elementFields(getDataType(typeCode))
      .filter((f) => isPrimitive(f.typeCode))
      .map((f) => f.name);
  }

  private inputFields(name: string, schema: InternalTypeSchema): GraphQLInputFieldConfigMap {
    const fields: GraphQLInputFieldConfigMap = {};
    if (this.resourceTypes.has(name)) fields.resourceType = { type: GraphQLString };
    for (const field of elementFields(schema)) {
      const item = this.inputItemType(field);
      fields[field.name] = { type: field.isArray ? new GraphQLList(new GraphQLNonNull(item)) : item, description: field.element.description };
      if (isPrimitive(field.typeCode)) {
        const element = this.input('Element');
        fields[`_${field.name}`] = { type: field.isArray ? new GraphQLList(element) : element };
      }
    }
    return fields;
  }

  private inputItemType(field: ElementField): GraphQLInputType {
    if (isPrimitive(field.typeCode)) return primitiveScalar(field.typeCode);
    if (field.typeCode === 'Resource' || field.typeCode === 'DomainResource') return ResourceJsonScalar;
    return this.input(field.typeCode);
  }
}
