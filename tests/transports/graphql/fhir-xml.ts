/**
 * FHIR XML → FHIR JSON for the test-case fixtures (the HL7 test cases ship XML), driven by the same R4
 * type schema as the server: the schema says which elements repeat, which are numbers or booleans, and
 * which type a choice element's name stands for.
 */
import { getDataType, InternalSchemaElement } from '@medplum/core';
import { XMLParser } from 'fast-xml-parser';
import { readFileSync } from 'node:fs';

type XmlNode = Record<string, unknown>;
type Json = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: () => true,
  parseTagValue: false,
  parseAttributeValue: false,
  stopNodes: ['*.div'],
});

export function readFhirXml(path: string): Json {
  const document = parser.parse(readFileSync(path, 'utf8')) as XmlNode;
  const [resourceType] = Object.keys(document).filter((k) => !k.startsWith('?'));
  return resource(resourceType, (document[resourceType] as XmlNode[])[0]);
}

function resource(resourceType: string, node: XmlNode): Json {
  return { resourceType, ...complex(resourceType, node) };
}

function complex(typeName: string, node: XmlNode): Json {
  const elements = getDataType(typeName).elements;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '@_xmlns' || key === '#text') continue;
    const name = key.startsWith('@_') ? key.slice(2) : key;
    const { element, typeCode } = elementFor(elements, name, typeName);
    const items = Array.isArray(value) ? value : [value];
    const converted = items.map((item) => convert(typeCode, item));
    if (isPrimitiveCode(typeCode)) {
      const values = converted.map((c) => c.value);
      const extras = converted.map((c) => c.extra);
      if (values.some((v) => v !== undefined)) out[name] = element.isArray ? values.map((v) => v ?? null) : values[0];
      if (extras.some((e) => e !== undefined)) out[`_${name}`] = element.isArray ? extras.map((e) => e ?? null) : extras[0];
    } else {
      const values = converted.map((c) => c.value);
      out[name] = element.isArray ? values : values[0];
    }
  }
  return out;
}

function convert(typeCode: string, item: unknown): { value?: unknown; extra?: Json } {
  if (typeCode === 'xhtml') return { value: `<div xmlns="http://www.w3.org/1999/xhtml">${divText(item)}</div>` };
  if (isPrimitiveCode(typeCode)) {
    if (typeof item !== 'object' || item === null) return { value: primitive(typeCode, String(item)) };
    const node = item as XmlNode;
    const raw = node['@_value'];
    const rest = { ...node };
    delete rest['@_value'];
    const extra = Object.keys(rest).length ? complex('Element', rest) : undefined;
    return { value: raw === undefined ? undefined : primitive(typeCode, String(Array.isArray(raw) ? raw[0] : raw)), extra };
  }
  const node = item as XmlNode;
  if (typeCode === 'Resource' || typeCode === 'DomainResource') {
    const [inner] = Object.keys(node).filter((k) => !k.startsWith('@_'));
    return { value: resource(inner, (node[inner] as XmlNode[])[0]) };
  }
  return { value: complex(typeCode, node) };
}

function divText(item: unknown): string {
  if (typeof item === 'string') return item;
  const text = (item as XmlNode)['#text'];
  return Array.isArray(text) ? text.join('') : String(text ?? '');
}

function primitive(typeCode: string, value: string): unknown {
  if (typeCode === 'boolean') return value === 'true';
  if (['integer', 'positiveInt', 'unsignedInt', 'decimal'].includes(typeCode)) return Number(value);
  return value;
}

function isPrimitiveCode(code: string): boolean {
  return /^[a-z]/.test(code) || code.startsWith('http://hl7.org/fhirpath/');
}

function elementFor(elements: Record<string, InternalSchemaElement>, name: string, typeName: string): { element: InternalSchemaElement; typeCode: string } {
  const direct = elements[name];
  if (direct) return { element: direct, typeCode: direct.type[0].code };
  for (const [key, element] of Object.entries(elements)) {
    if (!key.endsWith('[x]') || !name.startsWith(key.slice(0, -3))) continue;
    const type = element.type.find((t) => key.slice(0, -3) + t.code.charAt(0).toUpperCase() + t.code.slice(1) === name);
    if (type) return { element, typeCode: type.code };
  }
  throw new Error(`${typeName} has no element "${name}"`);
}
