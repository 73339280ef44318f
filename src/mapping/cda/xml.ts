/**
 * A namespace-aware, order-preserving view of a CDA document, built on fast-xml-parser.
 * Order matters because CDA narrative blocks are mixed content; namespaces matter because a CDA element
 * is only an HL7 element if it is in `urn:hl7-org:v3`, whatever prefix the sender chose.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const HL7_V3_NAMESPACE = 'urn:hl7-org:v3';
const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';

export interface XmlElement {
  /** Resolved namespace URI, or undefined when the element is in no namespace. */
  readonly namespace: string | undefined;
  /** Local name, without prefix. */
  readonly name: string;
  /** Attributes in no namespace by local name; `xsi:*` attributes under `xsi:<local>` whatever their prefix. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  /** Element path from the root, e.g. `/ClinicalDocument/recordTarget/patientRole`, for issue messages. */
  readonly path: string;
}

export type XmlNode = XmlElement | string;

export type XmlParseResult = { root: XmlElement } | { error: string };

/** fast-xml-parser's preserveOrder shape: one key per node, attributes under ':@'. */
type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/**
 * Deeper than any letter nests (header, body, section, entry, narrative table: some thirty levels), and a
 * bound for the walks over the tree, which recurse.
 */
const MAX_DEPTH = 100;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Needed for numeric character references (&#x5C71;). It also decodes HTML names such as &nbsp;, which strict
  // XML would reject; accepting them is harmless leniency towards hand-written documents.
  htmlEntities: true,
  maxNestedTags: MAX_DEPTH,
});

export function parseXml(xml: string): XmlParseResult {
  // CDA documents carry no DTD; refusing one keeps entity expansion out of the mapper.
  if (/<!DOCTYPE/i.test(xml)) {
    return { error: 'the document has a DOCTYPE declaration, which CDA documents never carry' };
  }
  // XML 1.0 allows no C0 control character but tab and line breaks, neither raw nor as a reference; the
  // validator lets them through, and no database text column takes U+0000.
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|&#0*;|&#x0*;/i.exec(xml);
  if (control) {
    const before = xml.slice(0, control.index).split('\n');
    const character = control[0].length === 1 ? `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : control[0];
    return { error: `not well-formed XML at line ${before.length}, column ${before[before.length - 1].length + 1}: the character ${character} is not allowed in XML` };
  }
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    return { error: `not well-formed XML at line ${line}, column ${col}: ${msg}` };
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (err) {
    // Well-formed, yet past what the parser takes: nesting deeper than MAX_DEPTH.
    const message = (err as Error).message;
    return { error: /nested/i.test(message) ? `elements are nested deeper than ${MAX_DEPTH} levels` : `the XML could not be read: ${message}` };
  }
  const rootNode = nodes.find((node) => elementName(node) !== undefined);
  if (!rootNode) {
    return { error: 'the document has no root element' };
  }
  return { root: buildElement(rootNode, new Map(), '') };
}

function elementName(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text');
}

function buildElement(node: OrderedNode, parentScope: ReadonlyMap<string, string>, parentPath: string, position = ''): XmlElement {
  const qualifiedName = elementName(node) as string;
  const rawAttributes = node[':@'] ?? {};
  const scope = new Map(parentScope);
  for (const [key, value] of Object.entries(rawAttributes)) {
    if (key === 'xmlns') scope.set('', value);
    else if (key.startsWith('xmlns:')) scope.set(key.slice('xmlns:'.length), value);
  }
  const [prefix, name] = splitQualifiedName(qualifiedName);
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(rawAttributes)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
    const [attributePrefix, localName] = splitQualifiedName(key);
    if (attributePrefix === '') attributes[localName] = value;
    else if (scope.get(attributePrefix) === XSI_NAMESPACE) attributes[`xsi:${localName}`] = value;
  }
  const path = `${parentPath}/${name}${position}`;
  const childNodes = (node[qualifiedName] as OrderedNode[]) ?? [];
  const siblingCount = new Map<string, number>();
  for (const childNode of childNodes) {
    const childName = elementName(childNode);
    if (childName !== undefined) siblingCount.set(childName, (siblingCount.get(childName) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  const children: XmlNode[] = [];
  for (const childNode of childNodes) {
    const childName = elementName(childNode);
    if (typeof childNode['#text'] === 'string') children.push(childNode['#text']);
    else if (childName !== undefined) {
      const index = (seen.get(childName) ?? 0) + 1;
      seen.set(childName, index);
      // XPath-style positions, only where a name repeats: /ClinicalDocument/component/structuredBody/component[2]/section
      const childPosition = (siblingCount.get(childName) ?? 0) > 1 ? `[${index}]` : '';
      children.push(buildElement(childNode, scope, path, childPosition));
    }
  }
  return { namespace: scope.get(prefix), name, attributes, children, path };
}

function splitQualifiedName(qualifiedName: string): [prefix: string, localName: string] {
  const colon = qualifiedName.indexOf(':');
  return colon < 0 ? ['', qualifiedName] : [qualifiedName.slice(0, colon), qualifiedName.slice(colon + 1)];
}

export function isElement(node: XmlNode): node is XmlElement {
  return typeof node !== 'string';
}

/** HL7 v3 child elements with this local name. */
export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  if (!element) return [];
  return element.children.filter(
    (child): child is XmlElement => isElement(child) && child.name === name && child.namespace === HL7_V3_NAMESPACE,
  );
}

export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return children(element, name)[0];
}

/** Follows a chain of HL7 v3 child names, taking the first match at each step. */
export function descend(element: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  return names.reduce<XmlElement | undefined>((current, name) => child(current, name), element);
}

export function attribute(element: XmlElement | undefined, name: string): string | undefined {
  const value = element?.attributes[name];
  return value === undefined || value === '' ? undefined : value;
}

/** All text below the element, whitespace-collapsed; undefined when empty. */
export function textContent(element: XmlElement | undefined): string | undefined {
  if (!element) return undefined;
  const text = collectText(element).replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

function collectText(element: XmlElement): string {
  return element.children.map((node) => (isElement(node) ? collectText(node) : node)).join('');
}

/** Every element in the tree, depth first, for ID look-ups (narrative references). */
export function* walk(element: XmlElement): Generator<XmlElement> {
  yield element;
  for (const node of element.children) {
    if (isElement(node)) yield* walk(node);
  }
}
