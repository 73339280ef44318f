/**
 * v2 coding-system names (CWE.3 / CWE.6) → FHIR code-system URIs.
 *
 * Choice: the JP Core 1.2 / JP-CLINS URLs (`http://medis.or.jp/...`, `http://jpfhir.jp/fhir/core/mhlw/...`,
 * `http://jami.jp/...`), not the `urn:oid:` URIs of JP Core 1.1.x, because JP-CLINS (電子カルテ情報共有サービス) requires them.
 * Some v2 names cover several FHIR systems (MEDIS `MDCDX2` is both the 8-digit 病名管理番号 and the 4-character
 * 病名交換用コード), so an entry may be limited to a code shape and the first matching entry wins.
 */
import type { Coding } from '@medplum/fhirtypes';

export const SYSTEM = {
  hot9: 'http://medis.or.jp/CodeSystem/master-HOT9',
  hot7: 'http://medis.or.jp/CodeSystem/master-HOT7',
  hot13: 'http://medis.or.jp/CodeSystem/master-HOT13',
  jlac10: 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits',
  diseaseKeyNumber: 'http://medis.or.jp/CodeSystem/master-disease-keyNumber',
  diseaseExchangeCode: 'http://medis.or.jp/CodeSystem/master-disease-exCode',
  modifierKeyNumber: 'http://medis.or.jp/CodeSystem/master-disease-modKeyNumber',
  modifierExchangeCode: 'http://medis.or.jp/CodeSystem/master-disease-modExCode',
  /** JLAC10 材料コード (3-digit specimen material), as JP-CLINS examples type a Specimen. */
  specimenMaterial: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationSampleMaterialCode_CS',
  icd10: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full',
  medicationUsage: 'http://jami.jp/CodeSystem/MedicationUsage',
  merit9Unit: 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationUnitMERIT9Code',
  /** MERIT-9 処方オーダ表7 (OHP 外来処方, IHP 入院処方…), bound to MedicationRequest.category. */
  merit9Category: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationCategoryMERIT9_CS',
  merit9Form: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_MedicationFormMERIT9_CS',
  route: 'http://jpfhir.jp/fhir/core/CodeSystem/route-codes',
  department: 'http://jami.jp/SS-MIX2/CodeSystem/ClinicalDepartment',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  loinc: 'http://loinc.org',
  gtin: 'https://www.gs1.org/gtin',
  ucum: 'http://unitsofmeasure.org',
  v2SpecimenType: 'http://terminology.hl7.org/CodeSystem/v2-0487',
} as const;

/** JAHIS tables that JP Core 1.2 publishes under its own canonical (aliases-jpcore.fsh); the others have no FHIR URI yet. */
const JP_CORE_JAHIS_TABLES = ['JHSD0006', 'JHSI0001', 'JHSI0003', 'JHSP0002', 'JHSP0007'];
const jpCoreCodeSystem = (name: string) => `http://jpfhir.jp/fhir/core/CodeSystem/${name}`;

/**
 * JLAC10 = analyte (5) + identification (4) + material (3) + method (3) + result identification (2). Laboratories
 * report one test under different method digits (HbA1c NGSP 3D046000001906202, 3D046000001920402, …), so a rule or
 * a trend about a JLAC10 test leaves the method open: "___" there, which SQL LIKE also reads as any three characters.
 * Undefined for a code that is not 17 JLAC10 characters.
 */
export function jlac10TestPattern(code: string): string | undefined {
  return /^[0-9A-Z]{17}$/.test(code) ? `${code.slice(0, 12)}___${code.slice(15)}` : undefined;
}

interface SystemRule {
  v2: RegExp;
  /** Only codes of this shape belong to the system; others fall through to later rules. */
  code?: RegExp;
  system: (v2Name: string) => string;
}

const fixed = (uri: string) => () => uri;

const SYSTEM_RULES: SystemRule[] = [
  { v2: /^(HOT9|HOT)$/, code: /^\d{9}$/, system: fixed(SYSTEM.hot9) },
  { v2: /^HOT7$/, system: fixed(SYSTEM.hot7) },
  { v2: /^HOT13$/, system: fixed(SYSTEM.hot13) },
  // JC10 also carries 3-digit material codes and 5-character analyte codes, which the 17-digit system does not hold.
  { v2: /^JC10$/, code: /^[0-9A-Z]{17}$/, system: fixed(SYSTEM.jlac10) },
  { v2: /^JC10$/, code: /^\d{3}$/, system: fixed(SYSTEM.specimenMaterial) },
  { v2: /^MDCDX2$/, code: /^\d{8}$/, system: fixed(SYSTEM.diseaseKeyNumber) },
  { v2: /^MDCDX2$/, code: /^[0-9A-Z]{4}$/, system: fixed(SYSTEM.diseaseExchangeCode) },
  // JP Core publishes only the 2013 edition; JAHIS marks the 2003 edition with an empty CWE.7 and its codes match 2013's.
  { v2: /^I10$/, system: fixed(SYSTEM.icd10) },
  { v2: /^JAMISDP01$/, system: fixed(SYSTEM.medicationUsage) },
  // MR9P names all MERIT-9 tables (units, dosage forms, 処方区分): the field decides which (converters.ts `codeableConceptIn`).
  // JP Core binds route to its own copy of HL7 table 0162.
  { v2: /^HL70162$/, system: fixed(SYSTEM.route) },
  { v2: new RegExp(`^(${JP_CORE_JAHIS_TABLES.join('|')})$`), system: jpCoreCodeSystem },
  { v2: /^HL7\d{4}$/, system: (name) => `http://terminology.hl7.org/CodeSystem/v2-${name.slice(3)}` },
  { v2: /^DCM$/, system: fixed(SYSTEM.dicom) },
  { v2: /^LN$/, system: fixed(SYSTEM.loinc) },
  { v2: /^JAN$/, system: fixed(SYSTEM.gtin) },
];

/** SS-MIX2 reserves coding-system names starting with 99 for each facility's own tables. */
const LOCAL_SYSTEM = /^99/;

/**
 * The FHIR system for a v2 coding-system name. Local (`99xxx`, or none given) codes get
 * `urn:tonet:local:<facilityCode>:<name>` because the same local code means different things in different hospitals;
 * names Tonet does not know keep their v2 name under `urn:tonet:v2-system:<name>` so no code is lost.
 */
export function systemFor(v2Name: string, code: string, facilityCode: string): string {
  if (v2Name === '' || LOCAL_SYSTEM.test(v2Name)) {
    return v2Name === '' ? `urn:tonet:local:${facilityCode}` : `urn:tonet:local:${facilityCode}:${v2Name}`;
  }
  const rule = SYSTEM_RULES.find((candidate) => candidate.v2.test(v2Name) && (!candidate.code || candidate.code.test(code)));
  return rule ? rule.system(v2Name) : `urn:tonet:v2-system:${v2Name}`;
}

export function coding(code: string, display: string, v2Name: string, facilityCode: string, version?: string): Coding {
  return {
    system: systemFor(v2Name, code, facilityCode),
    ...(version ? { version } : {}),
    code,
    ...(display ? { display } : {}),
  };
}

/** Units written as in SS-MIX2 samples → UCUM codes, for valueQuantity and reference ranges. */
export const UCUM_UNITS: Record<string, string> = {
  cm: 'cm',
  kg: 'kg',
  'g/dl': 'g/dL',
  'mg/dl': 'mg/dL',
  'g/l': 'g/L',
  'mg/l': 'mg/L',
  'u/l': 'U/L',
  'iu/l': '[IU]/L',
  '%': '%',
  msec: 'ms',
  ms: 'ms',
  bpm: '/min',
  '/min': '/min',
  mv: 'mV',
  degree: 'deg',
  ml: 'mL',
  'ml/hr': 'mL/h',
  'mmol/l': 'mmol/L',
  mmhg: 'mm[Hg]',
  'mm[hg]': 'mm[Hg]',
  cel: 'Cel',
  '℃': 'Cel',
  d: 'd',
  h: 'h',
  wk: 'wk',
  mo: 'mo',
};
