/**
 * What the JP Core 1.2 / JP-CLINS profiles Tonet claims in meta.profile fix or require, written as data from the
 * published sources (jami-fhir-jp-wg/jp-core-v1x `input/fsh/profiles/*.fsh` and `aliases-jpcore.fsh`, summarised in
 * ../shared/reference/jp-standards.md §3). Each row is one constraint; `check` answers what is wrong, or nothing.
 * A profile Tonet claims without a row here fails the conformance test, so a new claim needs its rows.
 */
import type { Resource } from '@medplum/fhirtypes';

const CORE = 'http://jpfhir.jp/fhir/core/';
export const JP_SYSTEM = {
  simpleObservationCategory: `${CORE}CodeSystem/JP_SimpleObservationCategory_CS`,
  bodyMeasurementCategory: `${CORE}CodeSystem/JP_ObservationBodyMeasurementCategory_CS`,
  vitalSignsCategory: `${CORE}CodeSystem/JP_ObservationVitalSignsCategory_CS`,
  rpNumber: `${CORE}mhlw/IdSystem/Medication-RPGroupNumber`,
  orderInRp: `${CORE}mhlw/IdSystem/MedicationAdministrationIndex`,
  resourceInstance: `${CORE}IdSystem/resourceInstance-identifier`,
  insurerNumber: `${CORE}mhlw/IdSystem/InsurerNumber`,
  periodOfUse: `${CORE}Extension/StructureDefinition/JP_MedicationDosage_PeriodOfUse`,
  prefixModifier: `${CORE}Extension/StructureDefinition/JP_Condition_DiseasePrefixModifier`,
  postfixModifier: `${CORE}Extension/StructureDefinition/JP_Condition_DiseasePostfixModifier`,
  diseaseKeyNumber: 'http://medis.or.jp/CodeSystem/master-disease-keyNumber',
  diseaseExchangeCode: 'http://medis.or.jp/CodeSystem/master-disease-exCode',
  icd10: `${CORE}mhlw/CodeSystem/ICD10-2013-full`,
  receiptDisease: `${CORE}mhlw/CodeSystem/masterB-disease`,
  specimenMaterial: `${CORE}CodeSystem/JP_ObservationSampleMaterialCode_CS`,
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  loinc: 'http://loinc.org',
  nameRepresentation: 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation',
} as const;

/**
 * JP Core 1.1 `urn:oid:` systems (tag v1.1.2 aliases) whose 1.2 URL Tonet uses: one of them anywhere means a
 * resource mixes releases and conforms to neither.
 */
export const JP_CORE_1_1_SYSTEMS = [
  'urn:oid:1.2.392.200119.4.403.1', // HOT9
  'urn:oid:1.2.392.200119.4.403.2', // HOT7
  'urn:oid:1.2.392.200119.4.402.1', // HOT13
  'urn:oid:1.2.392.200119.4.504', // JLAC10
  'urn:oid:1.2.392.200119.4.101.6', // MEDIS 病名交換用コード
  'urn:oid:1.2.392.200250.2.2.20', // JAMI usage
  'urn:oid:1.2.392.100495.20.2.101', // MERIT-9 units
  'urn:oid:1.2.392.200250.2.2.2', // SS-MIX2 department
  'urn:oid:1.2.392.100495.20.3.81', // Rp number
  'urn:oid:1.2.392.100495.20.3.82', // order in Rp
  'urn:oid:1.2.392.100495.20.3.61', // insurer number
  'http://terminology.hl7.org/CodeSystem/observation-category', // JP Core 1.2 Observation profiles slice JP_SimpleObservationCategory_CS
];

/** v2 coding-system names JP Core 1.2 has a system for; they must never appear as Tonet's fallback urn:tonet:v2-system. */
export const V2_NAMES_WITH_JP_SYSTEMS = ['MR9P', 'JHSI0001', 'JHSI0003', 'JHSP0002', 'JHSP0007', 'JHSD0006', 'HOT9', 'HOT', 'MDCDX2', 'I10', 'JAMISDP01', 'HL70162'];

type Json = Record<string, any>;
export interface Constraint {
  profile: string;
  /** What the profile says, in its words ("identifier[rpNumber] 1..1"). */
  rule: string;
  check: (resource: Json) => string | undefined;
}

const systemsOf = (concept: Json | undefined): string[] => (concept?.coding ?? []).map((coding: Json) => coding.system);
const count = (list: Json[] | undefined, predicate: (item: Json) => boolean) => (list ?? []).filter(predicate).length;
const exactlyOne = (list: Json[] | undefined, predicate: (item: Json) => boolean, what: string) => {
  const n = count(list, predicate);
  return n === 1 ? undefined : `${what}: ${n} found, 1..1 required`;
};
const firstCategory = (code: string): Constraint['check'] => (resource) => {
  const first = resource.category?.[0]?.coding?.[0];
  return first?.system === JP_SYSTEM.simpleObservationCategory && first?.code === code ? undefined : `category[first] must be JP_SimpleObservationCategory_CS#${code}, is ${first?.system}#${first?.code}`;
};
const observationCategorySlice: Constraint['check'] = (resource) =>
  resource.category?.[0]?.coding?.[0]?.system === JP_SYSTEM.simpleObservationCategory ? undefined : 'category[first] must come from JP_SimpleObservationCategory_CS';
const required = (path: string): Constraint['check'] => (resource) => {
  const value = path.split('.').reduce<any>((node, step) => node?.[step], resource);
  return value === undefined || value === '' || (Array.isArray(value) && value.length === 0) ? `${path} 1.. required` : undefined;
};
const valueOnly = (allowed: string[]): Constraint['check'] => (resource) => {
  const present = Object.keys(resource).filter((name) => name.startsWith('value'));
  const wrong = present.filter((name) => !allowed.includes(name));
  return wrong.length ? `value[x] only ${allowed.join(' | ')}; found ${wrong.join(', ')}` : undefined;
};
const medicationRequestSlices: Constraint['check'] = (resource) =>
  exactlyOne(resource.identifier, (identifier) => identifier.system === JP_SYSTEM.rpNumber, 'identifier[rpNumber]') ??
  exactlyOne(resource.identifier, (identifier) => identifier.system === JP_SYSTEM.orderInRp, 'identifier[orderInRp]') ??
  (count(resource.identifier, (identifier) => identifier.system === JP_SYSTEM.resourceInstance) ? undefined : 'identifier[requestIdentifier] (ORC-2) missing');
const dosageExtensions: Constraint['check'] = (resource) => {
  const urls = (resource.dosageInstruction ?? []).flatMap((dosage: Json) => (dosage.extension ?? []).map((extension: Json) => extension.url));
  const unknown = urls.filter((url: string) => url !== JP_SYSTEM.periodOfUse);
  return unknown.length ? `dosageInstruction.extension not defined by JP_MedicationDosage: ${unknown.join(', ')}` : undefined;
};

const OBSERVATION_PROFILES = ['JP_Observation_Common', 'JP_Observation_LabResult', 'JP_Observation_BodyMeasurement', 'JP_Observation_VitalSigns'];
const effectiveDateTimeOrPeriod: Constraint['check'] = (resource) => {
  const other = Object.keys(resource).filter((name) => name.startsWith('effective') && name !== 'effectiveDateTime' && name !== 'effectivePeriod');
  return other.length ? `effective[x] only dateTime or Period; found ${other.join(', ')}` : undefined;
};

export const CONSTRAINTS: Constraint[] = [
  {
    profile: 'JP_Patient',
    rule: 'identifier: 医療機関の患者ID urn:oid:1.2.392.100495.20.3.51.1 + 10-digit facility code',
    check: (resource) => (resource.identifier?.some((identifier: Json) => /^urn:oid:1\.2\.392\.100495\.20\.3\.51\.1(0[1-9]|[1-3][0-9]|4[0-7])\d{8}$/.test(identifier.system)) ? undefined : 'no identifier under the JP Core patient-ID OID'),
  },
  {
    profile: 'JP_Patient',
    rule: 'name: JP_HumanName, extension[nameRepresentationUse] IDE or SYL on each name',
    check: (resource) => ((resource.name ?? []).every((name: Json) => name.extension?.some((extension: Json) => extension.url === JP_SYSTEM.nameRepresentation && ['IDE', 'SYL', 'ABC'].includes(extension.valueCode))) ? undefined : 'a name without its ISO 21090 representation'),
  },
  ...OBSERVATION_PROFILES.map((profile): Constraint => ({ profile, rule: 'category[first] from JP_SimpleObservationCategory_CS', check: observationCategorySlice })),
  ...OBSERVATION_PROFILES.map((profile): Constraint => ({ profile, rule: 'subject 1..', check: required('subject.reference') })),
  { profile: 'JP_Observation_LabResult', rule: 'category[first] = #laboratory', check: firstCategory('laboratory') },
  { profile: 'JP_Observation_LabResult', rule: 'code.text 1..', check: required('code.text') },
  { profile: 'JP_Observation_LabResult', rule: 'code.coding 1..', check: required('code.coding') },
  { profile: 'JP_Observation_LabResult', rule: 'specimen 1..', check: required('specimen.reference') },
  { profile: 'JP_Observation_LabResult', rule: 'effective[x] 1..', check: required('effectiveDateTime') },
  { profile: 'JP_Observation_LabResult', rule: 'value[x] only Quantity or CodeableConcept or string', check: valueOnly(['valueQuantity', 'valueCodeableConcept', 'valueString']) },
  { profile: 'JP_Observation_BodyMeasurement', rule: 'category[bodyMeasurement] = #body-measurement', check: firstCategory('body-measurement') },
  {
    profile: 'JP_Observation_BodyMeasurement',
    rule: 'category[bodyMeasurementCategory] from JP_ObservationBodyMeasurementCategory_CS',
    check: (resource) => (resource.category?.[1]?.coding?.[0]?.system === JP_SYSTEM.bodyMeasurementCategory ? undefined : 'second category slice missing'),
  },
  { profile: 'JP_Observation_VitalSigns', rule: 'category[first] = #vital-signs', check: firstCategory('vital-signs') },
  {
    profile: 'JP_Observation_VitalSigns',
    rule: 'category[second] (required by the IG) from JP_ObservationVitalSignsCategory_CS',
    check: (resource) => (resource.category?.[1]?.coding?.[0]?.system === JP_SYSTEM.vitalSignsCategory ? undefined : 'second category slice missing'),
  },
  ...['JP_Observation_VitalSigns', 'JP_Observation_BodyMeasurement'].map((profile): Constraint => ({ profile, rule: 'effective[x] only dateTime or Period', check: effectiveDateTimeOrPeriod })),
  {
    profile: 'JP_DiagnosticReport_LabResult',
    rule: 'category = LOINC LP29693-6 (Laboratory)',
    check: (resource) => (resource.category?.some((category: Json) => category.coding?.some((coding: Json) => coding.system === JP_SYSTEM.loinc && coding.code === 'LP29693-6')) ? undefined : 'category LP29693-6 missing'),
  },
  { profile: 'JP_DiagnosticReport_LabResult', rule: 'subject 1..', check: required('subject.reference') },
  ...['JP_MedicationRequest', 'JP_MedicationRequest_Injection'].flatMap((profile): Constraint[] => [
    { profile, rule: 'identifier[rpNumber] 1..1, identifier[orderInRp] 1..1, identifier[requestIdentifier]', check: medicationRequestSlices },
    { profile, rule: 'intent = #order', check: (resource) => (resource.intent === 'order' ? undefined : `intent ${resource.intent}`) },
    { profile, rule: 'authoredOn 1..', check: required('authoredOn') },
    { profile, rule: 'dosageInstruction.extension from JP_MedicationDosage (periodOfUse)', check: dosageExtensions },
  ]),
  { profile: 'JP_MedicationRequest', rule: 'medicationCodeableConcept.coding 1..', check: required('medicationCodeableConcept.coding') },
  {
    profile: 'JP_Condition_Diagnosis',
    rule: 'code.coding sliced into medisExchange, medisRecordNo, receipt, icd10 (other codings: local codes only)',
    check: (resource) => {
      const allowed: string[] = [JP_SYSTEM.diseaseKeyNumber, JP_SYSTEM.diseaseExchangeCode, JP_SYSTEM.icd10, JP_SYSTEM.receiptDisease];
      const other = systemsOf(resource.code).filter((system) => !allowed.includes(system) && !system.startsWith('urn:tonet:local:'));
      return other.length ? `code.coding under systems outside the slices: ${other.join(', ')}` : undefined;
    },
  },
  {
    profile: 'JP_Condition_Diagnosis',
    rule: 'code.extension: JP_Condition_DiseasePrefixModifier / PostfixModifier only',
    check: (resource) => ((resource.code?.extension ?? []).every((extension: Json) => ([JP_SYSTEM.prefixModifier, JP_SYSTEM.postfixModifier] as string[]).includes(extension.url)) ? undefined : 'unknown extension on Condition.code'),
  },
  { profile: 'JP_Condition_Diagnosis', rule: 'subject 1..', check: required('subject.reference') },
  {
    profile: 'JP_Coverage',
    rule: 'payor identifier: 保険者番号 under InsurerNumber',
    check: (resource) => ((resource.payor ?? []).every((payor: Json) => !payor.identifier || payor.identifier.system === JP_SYSTEM.insurerNumber) ? undefined : 'payor identifier not under InsurerNumber'),
  },
  ...['JP_ImagingStudy_Radiology', 'JP_ImagingStudy_Endoscopy'].map((profile): Constraint => ({
    profile,
    rule: 'modality from DICOM (JP_DICOMModality_VS)',
    check: (resource) => ((resource.modality ?? []).length && resource.modality.every((coding: Json) => coding.system === JP_SYSTEM.dicom) ? undefined : 'modality missing or not DICOM'),
  })),
  { profile: 'JP_Specimen_Common', rule: 'type: JLAC10 material code', check: (resource) => (systemsOf(resource.type).includes(JP_SYSTEM.specimenMaterial) ? undefined : 'type without a JLAC10 material coding') },
  { profile: 'JP_ServiceRequest_Common', rule: 'subject 1..', check: required('subject.reference') },
  { profile: 'JP_Encounter', rule: 'subject 1..', check: required('subject.reference') },
  { profile: 'JP_AllergyIntolerance', rule: 'patient 1..', check: required('patient.reference') },
  ...['JP_MedicationAdministration', 'JP_MedicationAdministration_Injection'].map((profile): Constraint => ({ profile, rule: 'subject 1..', check: required('subject.reference') })),
  { profile: 'JP_Immunization', rule: 'patient 1..', check: required('patient.reference') },
  { profile: 'JP_Procedure', rule: 'subject 1..', check: required('subject.reference') },
  { profile: 'JP_DiagnosticReport_Common', rule: 'subject 1..', check: required('subject.reference') },
];

/** Every system and extension URL anywhere in a resource, for the release-mixing checks. */
export function urisIn(resource: Resource): string[] {
  const found: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node && typeof node === 'object') {
      for (const [name, value] of Object.entries(node)) {
        if ((name === 'system' || name === 'url') && typeof value === 'string') {
          found.push(value);
        } else {
          walk(value);
        }
      }
    }
  };
  walk(resource);
  return found;
}
