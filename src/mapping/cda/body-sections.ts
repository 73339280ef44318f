/**
 * structuredBody sections → JP-CLINS document sections: each CDA section is matched to its JP-CLINS rule, its
 * narrative rendered and its coded entries turned into resources; then the matched sections are written in the IG's
 * order, one coding each, the required ones always present.
 */
import type { Coding, CompositionSection, Patient, Reference } from '@medplum/fhirtypes';
import type { MappingIssue } from '../types';
import { identityKey, type EntryCollector } from './bundle-entries';
import { LOINC_OID } from './code-systems';
import { codingFromCD, type NarrativeIndex } from './datatypes';
import { mapEntry, WHAT_AN_ENTRY_NEEDS } from './entries';
import { narrativeFromText } from './narrative';
import { CLINS_SECTION_SYSTEM, findSectionRule, type SectionRule } from './sections';
import { attribute, children, child, textContent, type XmlElement } from './xml';

const XHTML = 'http://www.w3.org/1999/xhtml';
const EMPTY_REASON: Coding = { system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable', display: 'Unavailable' };

export interface BodyContext {
  patient: Reference<Patient>;
  narrative: NarrativeIndex;
  collector: EntryCollector;
  /** The sending facility's 10-digit 医療機関コード, which JP-CLINS puts on every clinical resource. */
  institutionNumber: string;
}

export interface MappedSection {
  rule: SectionRule;
  section: CompositionSection;
  /** The section's narrative as plain text, for resources the IG builds from it (the referral purpose). */
  plainText?: string;
}

/** CDA sections nest (component/section/component/section); JP-CLINS sections under 300 do not, so flatten. */
function allSections(parent: XmlElement): XmlElement[] {
  return children(parent, 'component')
    .flatMap((component) => children(component, 'section'))
    .flatMap((section) => [section, ...allSections(section)]);
}

/**
 * A section no rule knows is reported and kept only in the original document: the IG allows one coding per section,
 * from its own value set.
 */
export function mapDocumentSections(
  structuredBody: XmlElement,
  context: BodyContext,
  rules: readonly SectionRule[],
): { sections: MappedSection[]; issues: MappingIssue[] } {
  const issues: MappingIssue[] = [];
  const sections = allSections(structuredBody).flatMap((section): MappedSection[] => {
    const sectionCode = child(section, 'code');
    const loincCode = attribute(sectionCode, 'codeSystem') === LOINC_OID ? attribute(sectionCode, 'code') : undefined;
    const cdaTitle = textContent(child(section, 'title'));
    const rule = findSectionRule(loincCode, cdaTitle, rules);
    if (!rule) {
      const originalCoding = codingFromCD(sectionCode);
      issues.push({
        severity: 'warning',
        code: '103',
        segment: section.path,
        message: `section "${cdaTitle ?? originalCoding?.display ?? 'セクション'}"${originalCoding ? ` (code ${originalCoding.code})` : ''} has no JP-CLINS section code; kept only in the original document`,
      });
      return [];
    }
    const title = cdaTitle ?? rule.title;
    const entryReferences: Reference[] = [];
    children(section, 'entry').forEach((entry) => {
      const resources = rule.entryKind ? mapEntry(entry, rule.entryKind, context) : [];
      if (resources.length === 0) {
        issues.push({
          severity: 'warning',
          code: '103',
          segment: entry.path,
          message: `entry not mapped to a resource${rule.entryKind ? ` (no ${WHAT_AN_ENTRY_NEEDS[rule.entryKind]})` : ` (section "${title}" has no coded-entry mapping)`}; its content stays in the section narrative and the original document`,
        });
      }
      resources.forEach((resource, resourceIndex) => {
        const key = identityKey(resource.identifier, `${entry.path}#${resourceIndex}`);
        entryReferences.push(context.collector.add(resource, key));
      });
    });
    const text = child(section, 'text');
    const plainText = textContent(text)?.replace(/\s+/g, ' ').trim();
    const mapped: CompositionSection = {
      title,
      code: { coding: [sectionCoding(rule)] },
      text: narrativeFromText(text, title),
      ...(entryReferences.length > 0 ? { entry: entryReferences } : {}),
    };
    return [{ rule, section: mapped, ...(plainText ? { plainText } : {}) }];
  });
  return { sections, issues };
}

export function sectionCoding(section: { clinsCode: string; display: string }): Coding {
  return { system: CLINS_SECTION_SYSTEM, code: section.clinsCode, display: section.display };
}

/**
 * The IG's sections in its order (the rules' order): what the document holds, and every required one, empty where it
 * has none. `extraEntries` are resources the document's header gives a section (the stay, the referral purpose).
 * The IG fixes every section's narrative status to additional; several CDA sections of one kind become one section.
 */
export function documentSections(
  rules: readonly SectionRule[],
  mapped: MappedSection[],
  extraEntries: ReadonlyMap<string, Reference[]> = new Map(),
): CompositionSection[] {
  return rules.flatMap((rule): CompositionSection[] => {
    const found = mapped.filter((candidate) => candidate.rule === rule).map((candidate) => candidate.section);
    const entry = [...found.flatMap((section) => section.entry ?? []), ...(extraEntries.get(rule.clinsCode) ?? [])];
    const written = found.filter((section) => section.text?.status === 'additional').map((section) => section.text!.div);
    if (found.length === 0 && !rule.required) {
      return [];
    }
    return [
      {
        title: rule.title,
        code: { coding: [sectionCoding(rule)] },
        ...(written.length > 0 ? { text: { status: 'additional', div: joinDivs(written) } } : {}),
        // A required section the document lacks says so in words too, as R4 wants some text, entry or sub-section
        // in every section (cmp-1).
        ...(written.length === 0 && entry.length === 0
          ? { text: { status: 'additional', div: `<div xmlns="${XHTML}">記載なし</div>` }, emptyReason: { coding: [EMPTY_REASON] } }
          : {}),
        ...(entry.length > 0 ? { entry } : {}),
      },
    ];
  });
}

/** Several CDA sections for one JP-CLINS section (nested ones, or two titles of one kind): one div. */
function joinDivs(divs: string[]): string {
  if (divs.length === 1) return divs[0];
  const inner = divs.map((div) => div.replace(/^<div[^>]*>/, '').replace(/<\/div>$/, ''));
  return `<div xmlns="${XHTML}">${inner.map((part) => `<div>${part}</div>`).join('')}</div>`;
}
