/**
 * A CDA R2 referral letter's human-readable part: title, author and the narrative (section/text) of each
 * section, read with the browser's XML parser. The narrative block's elements map to HTML ones as data;
 * anything else keeps only its text, so nothing in a letter can become markup or script in the console.
 */
export interface NarrativeNode {
  tag?: string;
  text?: string;
  colSpan?: number;
  children?: NarrativeNode[];
}

export interface CdaSection {
  title: string;
  narrative: NarrativeNode[];
}

export interface CdaLetter {
  title: string;
  sections: CdaSection[];
}

/** CDA narrative block element → HTML element (styleCode Bold/Italics become strong/em on content). */
const NARRATIVE_TAGS: Record<string, string> = {
  paragraph: 'p',
  list: 'ul',
  item: 'li',
  table: 'table',
  thead: 'thead',
  tbody: 'tbody',
  tr: 'tr',
  th: 'th',
  td: 'td',
  caption: 'caption',
  br: 'br',
  content: 'span',
};

const STYLE_TAGS: Record<string, string> = { Bold: 'strong', Italics: 'em', Underline: 'u' };

export function parseCda(xml: string): CdaLetter {
  const document = new DOMParser().parseFromString(xml, 'application/xml');
  if (document.getElementsByTagName('parsererror').length) throw new Error('The referral letter is not well-formed XML');
  const root = document.documentElement;
  const title = directChild(root, 'title')?.textContent?.trim() ?? '';
  const sections = [...root.getElementsByTagNameNS('*', 'section')].map((section) => ({
    title: directChild(section, 'title')?.textContent?.trim() ?? '',
    narrative: [...(directChild(section, 'text')?.childNodes ?? [])].flatMap(narrativeOf),
  }));
  return { title, sections };
}

function directChild(element: Element, name: string): Element | undefined {
  return [...element.children].find((c) => c.localName === name);
}

function narrativeOf(node: ChildNode): NarrativeNode[] {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent?.trim() ? [{ text: node.textContent }] : [];
  if (node.nodeType !== Node.ELEMENT_NODE) return [];
  const element = node as Element;
  const children = [...element.childNodes].flatMap(narrativeOf);
  const style = element.getAttribute('styleCode');
  const tag = (element.localName === 'content' && style && STYLE_TAGS[style]) || NARRATIVE_TAGS[element.localName];
  if (!tag) return children;
  const colSpan = Number(element.getAttribute('colspan')) || undefined;
  return [{ tag, children, ...(colSpan ? { colSpan } : {}) }];
}
