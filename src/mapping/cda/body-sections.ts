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
import { CLINS_SECTION_SYSTEM, findSectionRule } from './sections';
import { attribute, children, child, textContent, type XmlElement } from './xml';

export interface BodyContext {
  patient: Reference<Patient>;
  narrative: NarrativeIndex;
  collector: EntryCollector;
}

/** CDA sections nest (component/section/component/section); JP-CLINS sections under 300 do not, so flatten. */
function allSections(parent: XmlElement): XmlElement[] {
  return children(parent, 'component')
    .flatMap((component) => children(component, 'section'))
    .flatMap((section) => [section, ...allSections(section)]);
}

export function mapBodySections(structuredBody: XmlElement, context: BodyContext): { sections: CompositionSection[]; issues: MappingIssue[] } {
  const issues: MappingIssue[] = [];
  const sections = allSections(structuredBody).map((section) => {
    const sectionCode = child(section, 'code');
    const loincCode = attribute(sectionCode, 'codeSystem') === LOINC_OID ? attribute(sectionCode, 'code') : undefined;
    const cdaTitle = textContent(child(section, 'title'));
    const rule = findSectionRule(loincCode, cdaTitle);
    const originalCoding = codingFromCD(sectionCode);
    const title = cdaTitle ?? rule?.title ?? originalCoding?.display ?? 'セクション';
    if (!rule) {
      issues.push({
        severity: 'warning',
        code: '103',
        segment: section.path,
        message: `section "${title}"${originalCoding ? ` (code ${originalCoding.code})` : ''} has no JP-CLINS section code; kept with its own code and narrative`,
      });
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
    const codings = [...clinsCoding, ...(originalCoding ? [originalCoding] : [])];
    return {
      title,
      ...(codings.length > 0 ? { code: { coding: codings } } : {}),
      text: narrativeFromText(child(section, 'text'), title),
      ...(entryReferences.length > 0 ? { entry: entryReferences } : {}),
    } satisfies CompositionSection;
  });
  return { sections, issues };
}
