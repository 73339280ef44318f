/**
 * structuredBody sections → the sub-sections of the JP-CLINS 構造情報 (300) section, each with its narrative,
 * its JP-CLINS code, the CDA section code as a further coding, and references to the resources its entries became.
 */
import type { Coding, CompositionSection, Patient, Reference } from '@medplum/fhirtypes';
import type { MappingIssue } from '../types';
import { identityKey, type EntryCollector } from './bundle-entries';
import { LOINC_OID } from './code-systems';
import { codingFromCD, type NarrativeIndex } from './datatypes';
import { mapEntry } from './entries';
import { narrativeFromText } from './narrative';
import { CLINS_SECTION_SYSTEM, findSectionRule, SECTION_RULES, type SectionRule } from './sections';
import { attribute, children, child, textContent, type XmlElement } from './xml';

export interface BodyContext {
  patient: Reference<Patient>;
  narrative: NarrativeIndex;
  collector: EntryCollector;
}

export interface BodySections<T extends SectionRule> {
  /** The document's JP-CLINS sections (the referral's, or the discharge summary's). */
  rules: readonly T[];
  /**
   * The referral keeps a section no rule knows, with its own code, and the CDA section code beside JP-CLINS's;
   * the discharge summary allows one coding from its value set, so there the section stays in the original only.
   */
  keepCdaCodes: boolean;
}

export interface MappedSection<T extends SectionRule> {
  rule?: T;
  section: CompositionSection;
}

/** CDA sections nest (component/section/component/section); JP-CLINS sections under 300 do not, so flatten. */
function allSections(parent: XmlElement): XmlElement[] {
  return children(parent, 'component')
    .flatMap((component) => children(component, 'section'))
    .flatMap((section) => [section, ...allSections(section)]);
}

export function mapBodySections(structuredBody: XmlElement, context: BodyContext): { sections: CompositionSection[]; issues: MappingIssue[] } {
  const { sections, issues } = mapDocumentSections(structuredBody, context, { rules: SECTION_RULES, keepCdaCodes: true });
  return { sections: sections.map((mapped) => mapped.section), issues };
}

export function mapDocumentSections<T extends SectionRule>(
  structuredBody: XmlElement,
  context: BodyContext,
  shape: BodySections<T>,
): { sections: MappedSection<T>[]; issues: MappingIssue[] } {
  const issues: MappingIssue[] = [];
  const sections = allSections(structuredBody).flatMap((section): MappedSection<T>[] => {
    const sectionCode = child(section, 'code');
    const loincCode = attribute(sectionCode, 'codeSystem') === LOINC_OID ? attribute(sectionCode, 'code') : undefined;
    const cdaTitle = textContent(child(section, 'title'));
    const rule = findSectionRule(loincCode, cdaTitle, shape.rules);
    const originalCoding = codingFromCD(sectionCode);
    const title = cdaTitle ?? rule?.title ?? originalCoding?.display ?? 'セクション';
    if (!rule) {
      issues.push({
        severity: 'warning',
        code: '103',
        segment: section.path,
        message: `section "${title}"${originalCoding ? ` (code ${originalCoding.code})` : ''} has no JP-CLINS section code; ${shape.keepCdaCodes ? 'kept with its own code and narrative' : 'kept only in the original document'}`,
      });
      if (!shape.keepCdaCodes) {
        return [];
      }
    }
    const entryReferences: Reference[] = [];
    children(section, 'entry').forEach((entry) => {
      const resources = rule?.entryKind ? mapEntry(entry, rule.entryKind, context) : [];
      if (resources.length === 0) {
        issues.push({
          severity: 'warning',
          code: '103',
          segment: entry.path,
          message: `entry not mapped to a resource${rule?.entryKind ? ' (no coded value)' : ` (section "${title}" has no coded-entry mapping)`}; its content stays in the section narrative and the original document`,
        });
      }
      resources.forEach((resource, resourceIndex) => {
        const key = identityKey(resource.identifier, `${entry.path}#${resourceIndex}`);
        entryReferences.push(context.collector.add(resource, key));
      });
    });
    const clinsCoding: Coding[] = rule ? [{ system: CLINS_SECTION_SYSTEM, code: rule.clinsCode, display: rule.display }] : [];
    const codings = [...clinsCoding, ...(originalCoding && shape.keepCdaCodes ? [originalCoding] : [])];
    const mapped: CompositionSection = {
      title,
      ...(codings.length > 0 ? { code: { coding: codings } } : {}),
      text: narrativeFromText(child(section, 'text'), title),
      ...(entryReferences.length > 0 ? { entry: entryReferences } : {}),
    };
    return [{ ...(rule ? { rule } : {}), section: mapped }];
  });
  return { sections, issues };
}
