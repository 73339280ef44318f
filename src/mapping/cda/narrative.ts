/**
 * CDA narrative block (section/text) → FHIR XHTML narrative. Only the CDA narrative vocabulary is rendered, each
 * element onto its XHTML counterpart, so nothing outside FHIR's allowed XHTML subset can pass through.
 */
import type { Narrative } from '@medplum/fhirtypes';
import { attribute, isElement, textContent, walk, type XmlElement, type XmlNode } from './xml';

const XHTML_NAMESPACE = 'http://www.w3.org/1999/xhtml';

/** CDA narrative element → XHTML element; elements not listed keep only their content. */
const XHTML_TAG: Readonly<Record<string, string>> = {
  paragraph: 'p',
  content: 'span',
  br: 'br',
  item: 'li',
  table: 'table',
  caption: 'caption',
  thead: 'thead',
  tbody: 'tbody',
  tfoot: 'tfoot',
  tr: 'tr',
  th: 'th',
  td: 'td',
  sub: 'sub',
  sup: 'sup',
  footnote: 'span',
  footnoteRef: 'span',
};

/** `additional`: the narrative is the author's text, which the coded entries do not fully express. */
export function narrativeFromText(text: XmlElement | undefined, fallback: string): Narrative {
  const body = text ? renderChildren(text.children).trim() : '';
  if (body === '') {
    return { status: 'empty', div: `<div xmlns="${XHTML_NAMESPACE}">${escapeText(fallback)}</div>` };
  }
  return { status: 'additional', div: `<div xmlns="${XHTML_NAMESPACE}">${body}</div>` };
}

/**
 * A narrative for header facts (sender, recipient) that the CDA states only as structured data. JP_Composition_eReferral
 * fixes every section's status to additional, though the text here is generated from the entries.
 */
export function headerNarrative(lines: string[]): Narrative {
  const body = lines.map((line) => `<p>${escapeText(line)}</p>`).join('');
  return { status: 'additional', div: `<div xmlns="${XHTML_NAMESPACE}">${body}</div>` };
}

function renderChildren(nodes: readonly XmlNode[]): string {
  // Whitespace in CDA narrative is layout of the XML source, not content.
  return nodes.map((node) => (isElement(node) ? renderElement(node) : escapeText(node.replace(/\s+/g, ' ')))).join('');
}

function renderElement(element: XmlElement): string {
  if (element.name === 'list') {
    const tag = attribute(element, 'listType') === 'ordered' ? 'ol' : 'ul';
    // XHTML lists cannot hold a caption, so it goes before the list.
    const caption = element.children.filter((node) => isElement(node) && node.name === 'caption');
    const items = element.children.filter((node) => !(isElement(node) && node.name === 'caption'));
    const heading = caption.length > 0 ? `<p><b>${renderChildren(caption.flatMap((node) => (isElement(node) ? node.children : [])))}</b></p>` : '';
    return `${heading}<${tag}>${renderChildren(items)}</${tag}>`;
  }
  if (element.name === 'linkHtml') {
    const href = attribute(element, 'href');
    const safe = href !== undefined && /^(https?:|#)/i.test(href);
    return safe ? `<a href="${escapeAttribute(href)}">${renderChildren(element.children)}</a>` : renderChildren(element.children);
  }
  if (element.name === 'renderMultiMedia') return '';
  const tag = XHTML_TAG[element.name];
  if (!tag) return renderChildren(element.children);
  if (tag === 'br') return '<br/>';
  const span = ['td', 'th'].includes(tag) ? spanAttributes(element) : '';
  return `<${tag}${span}>${renderChildren(element.children)}</${tag}>`;
}

function spanAttributes(cell: XmlElement): string {
  return ['colspan', 'rowspan']
    .map((name) => attribute(cell, name))
    .map((value, index) => (value && /^\d+$/.test(value) ? ` ${index === 0 ? 'colspan' : 'rowspan'}="${value}"` : ''))
    .join('');
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}

/** Whitespace-collapsed text of every narrative element with an ID, for `reference/@value="#id"`. */
export function indexNarrative(root: XmlElement): Map<string, string> {
  const index = new Map<string, string>();
  for (const element of walk(root)) {
    const id = attribute(element, 'ID');
    if (id) index.set(id, textContent(element) ?? '');
  }
  return index;
}
