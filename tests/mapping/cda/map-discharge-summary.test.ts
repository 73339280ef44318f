/**
 * 退院時サマリー (CDA R2, LOINC 18842-5) → JP-CLINS eDischargeSummary document Bundle. Golden file: the document in
 * (`discharge-summary.xml`, written by Tonet) beside the FHIR out (`discharge-summary.json`; `UPDATE_GOLDEN=1`
 * rewrites it after review). The constraints JP_Bundle_eDischargeSummary and JP_Composition_eDischargeSummary fix or
 * require (jami-fhir-jp-wg/clinical-core `input/fsh/profiles/CLINS/JP_*_eDisSummary.fsh`) are rows of data below.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Composition, CompositionSection, Encounter, Resource } from '@medplum/fhirtypes';
import { mapCdaDischargeSummary } from '../../../src/mapping/cda';
import type { SendingFacility } from '../../../src/mapping/types';
import { validationErrors } from '../fhir-validation';

const XML = fs.readFileSync(path.join(__dirname, 'discharge-summary.xml'), 'utf8');
const GOLDEN = path.join(__dirname, 'discharge-summary.json');
const FACILITY: SendingFacility = { code: '1312345670', organizationReference: 'Organization/toro' };
const SECTION_SYSTEM = 'http://jpfhir.jp/fhir/clins/CodeSystem/document-section';

type Json = Record<string, any>;
const codeOf = (section: CompositionSection) => section.code?.coding?.[0]?.code;
const resolve = (bundle: Bundle, reference: string | undefined): Resource | undefined => bundle.entry?.find((entry) => entry.fullUrl === reference)?.resource;

/** The IG's sub-sections of 構造情報 (300) that are 1..1. */
const REQUIRED_SUB_SECTIONS = ['322', '342', '352', '312', '360', '333', '324', '344', '444', '424'];

const CONSTRAINTS: { rule: string; check: (bundle: Bundle, composition: Json) => string | undefined }[] = [
  { rule: 'Bundle.type = document', check: (bundle) => (bundle.type === 'document' ? undefined : `type ${bundle.type}`) },
  { rule: 'Bundle.identifier.system = clins/bundle-identifier', check: (bundle) => (bundle.identifier?.system === 'http://jpfhir.jp/fhir/clins/bundle-identifier' && bundle.identifier.value ? undefined : 'identifier') },
  { rule: 'Bundle.timestamp 1..', check: (bundle) => (bundle.timestamp ? undefined : 'timestamp missing') },
  { rule: 'entry[composition] first, entry[patient] 1..1, entry[encounter] 1..1', check: (bundle) => {
    const types = (bundle.entry ?? []).map((entry) => entry.resource?.resourceType);
    return types[0] === 'Composition' && types.filter((type) => type === 'Patient').length === 1 && types.filter((type) => type === 'Encounter').length === 1 ? undefined : types.join(',');
  } },
  { rule: 'Composition extension[version] 1..1', check: (_b, c) => (c.extension?.filter((e: Json) => e.url === 'http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber' && e.valueString).length === 1 ? undefined : 'version') },
  { rule: 'Composition.identifier.system = resourceInstance-identifier', check: (_b, c) => (c.identifier?.system === 'http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier' && c.identifier.value ? undefined : 'identifier') },
  { rule: 'status = final', check: (_b, c) => (c.status === 'final' ? undefined : c.status) },
  { rule: 'type.coding 1..1 = doc-typecodes#18842-5 "退院時サマリー"', check: (_b, c) => (c.type?.coding?.length === 1 && c.type.coding[0].system === 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes' && c.type.coding[0].code === '18842-5' && c.type.coding[0].display === '退院時サマリー' ? undefined : JSON.stringify(c.type)) },
  { rule: 'category 1..1 = doc-subtypecodes#DISCHARGE', check: (_b, c) => (c.category?.length === 1 && c.category[0].coding?.length === 1 && c.category[0].coding[0].system === 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-subtypecodes' && c.category[0].coding[0].code === 'DISCHARGE' ? undefined : JSON.stringify(c.category)) },
  { rule: 'subject.reference to the bundle Patient', check: (b, c) => (resolve(b, c.subject?.reference)?.resourceType === 'Patient' ? undefined : 'subject') },
  { rule: 'encounter.reference to the bundle Encounter', check: (b, c) => (resolve(b, c.encounter?.reference)?.resourceType === 'Encounter' ? undefined : 'encounter') },
  { rule: 'date 1..1', check: (_b, c) => (c.date ? undefined : 'date') },
  { rule: 'title = "退院時サマリー"', check: (_b, c) => (c.title === '退院時サマリー' ? undefined : c.title) },
  { rule: 'custodian.reference 1..1 to an Organization', check: (b, c) => (resolve(b, c.custodian?.reference)?.resourceType === 'Organization' ? undefined : 'custodian') },
  { rule: 'event 1..1 with period.start and period.end, no code', check: (_b, c) => (c.event?.length === 1 && c.event[0].period?.start && c.event[0].period?.end && !c.event[0].code ? undefined : `event ${JSON.stringify(c.event) ?? 'missing'}`) },
  { rule: 'exactly one of section 200 (CDA) or 300 (structured)', check: (_b, c) => ((c.section ?? []).filter((s: Json) => ['200', '300'].includes(codeOf(s) ?? '')).length === 1 ? undefined : 'sections') },
  { rule: 'structuredSection: title 構造情報, no text', check: (_b, c) => {
    const structured = c.section.find((s: Json) => codeOf(s) === '300');
    return structured.title === '構造情報' && !structured.text ? undefined : 'structured section';
  } },
  { rule: 'every sub-section: title, code.coding 1..1 from clins document-section, no code.text, text.status additional', check: (_b, c) => {
    const wrong = c.section.find((s: Json) => codeOf(s) === '300').section.filter((s: Json) => !s.title || s.code?.coding?.length !== 1 || s.code.coding[0].system !== SECTION_SYSTEM || s.code.text || (s.text && s.text.status !== 'additional'));
    return wrong.length ? wrong.map((s: Json) => s.title).join(', ') : undefined;
  } },
  { rule: 'required sub-sections 1..1 (322 342 352 312 360 333 324 344 444 424), each with content or an empty reason', check: (_b, c) => {
    const subs = c.section.find((s: Json) => codeOf(s) === '300').section;
    const problems = REQUIRED_SUB_SECTIONS.filter((code) => {
      const found = subs.filter((s: Json) => codeOf(s) === code);
      return found.length !== 1 || !(found[0].text || found[0].entry?.length || found[0].emptyReason);
    });
    return problems.length ? problems.join(', ') : undefined;
  } },
];

describe('mapCdaDischargeSummary on a 退院時サマリー', () => {
  const result = mapCdaDischargeSummary(XML, FACILITY);
  const { bundle } = result;
  const composition = bundle.entry?.[0]?.resource as Composition;

  test('maps to the golden FHIR', () => {
    const actual = { issues: result.issues, bundle: result.bundle, documentReference: result.documentReference };
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.writeFileSync(GOLDEN, JSON.stringify(actual, null, 2) + '\n');
    }
    expect(actual).toEqual(JSON.parse(fs.readFileSync(GOLDEN, 'utf8')));
  });

  test('meets the constraints of JP_Bundle_eDischargeSummary and JP_Composition_eDischargeSummary', () => {
    expect(CONSTRAINTS.map(({ rule, check }) => [rule, check(bundle, composition as Json)]).filter(([, problem]) => problem !== undefined)).toEqual([]);
  });

  test('the constraints catch what they claim to (a referral-style composition fails them)', () => {
    const broken = { ...composition, title: '診療情報提供書', event: undefined, category: [{ coding: [{ system: 'http://jpfhir.jp/fhir/Common/CodeSystem/doc-subtypecodes', code: 'OUTPATIENT' }] }] };
    const failed = CONSTRAINTS.filter(({ check }) => check(bundle, broken as Json) !== undefined).map(({ rule }) => rule);
    expect(failed).toEqual(['category 1..1 = doc-subtypecodes#DISCHARGE', 'title = "退院時サマリー"', 'event 1..1 with period.start and period.end, no code']);
  });

  test('the stay is the Encounter, named by 入院時詳細, 入院理由 and 退院時詳細; sections it lacks are empty with a reason; an unknown one is reported', () => {
    const stay = resolve(bundle, composition.encounter?.reference) as Encounter;
    expect(stay).toMatchObject({ status: 'finished', class: { code: 'IMP' }, period: { start: '2011-11-20', end: '2011-12-20' } });
    const subs = composition.section![0].section!;
    expect(subs.filter((s) => ['322', '312', '324'].includes(codeOf(s)!)).map((s) => s.entry?.map((e) => e.reference))).toEqual([[composition.encounter?.reference], [composition.encounter?.reference], [composition.encounter?.reference]]);
    expect(subs.find((s) => codeOf(s) === '424')).toEqual({
      title: '退院時方針指示',
      code: { coding: [{ system: SECTION_SYSTEM, code: '424', display: '退院時方針指示セクション' }] },
      text: { status: 'additional', div: '<div xmlns="http://www.w3.org/1999/xhtml">記載なし</div>' },
      emptyReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable', display: 'Unavailable' }] },
    });
    const discharge = subs.find((s) => codeOf(s) === '344')!;
    expect(resolve(bundle, discharge.entry?.[0].reference)?.resourceType).toBe('Condition');
    expect(resolve(bundle, subs.find((s) => codeOf(s) === '444')!.entry?.[0].reference)?.resourceType).toBe('MedicationRequest');
    expect(result.issues).toContainEqual(expect.objectContaining({ severity: 'warning', code: '103', message: expect.stringContaining('病棟メモ') }));
    expect(result.documentReference.type?.coding?.[0]).toEqual({ system: 'http://loinc.org', code: '18842-5', display: 'Discharge summary' });
  });

  test('every resource is valid FHIR R4; a referral letter is refused naming the code', () => {
    expect(validationErrors(bundle)).toEqual([]);
    expect(validationErrors(result.documentReference)).toEqual([]);
    const referral = mapCdaDischargeSummary(fs.readFileSync(path.join(__dirname, 'referral-jmix.xml'), 'utf8'), FACILITY);
    expect(referral.issues).toEqual([expect.objectContaining({ severity: 'error', code: '200', message: expect.stringContaining('is not a 退院時サマリー code (LOINC 18842-5)') })]);
    expect(referral.bundle.entry).toBeUndefined();
  });
});
