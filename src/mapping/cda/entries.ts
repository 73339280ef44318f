/**
 * Coded CDA entries → clinical resources. Which resource an entry becomes is decided by its section
 * (sections.ts `entryKind`): problem observations → Condition, allergy observations → AllergyIntolerance,
 * substanceAdministration → MedicationRequest (a prescription) or Immunization (a vaccination), result and
 * physical-finding observations → Observation, procedure → Procedure. Entries are also kept verbatim in the section
 * narrative and in the original document, so an entry we cannot code loses nothing.
 */
import type {
  AllergyIntolerance,
  CodeableConcept,
  Coding,
  Condition,
  Dosage,
  Extension,
  Identifier,
  Immunization,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
  Reference,
} from '@medplum/fhirtypes';
import { DRUG_CODE_SYSTEM_URLS } from './code-systems';
import { ECS_PROFILE, institutionNumberExtension } from './profiles';
import {
  codeableConceptFromCD,
  dateTimeFromTS,
  identifiersFromIIs,
  originalText,
  type NarrativeIndex,
} from './datatypes';
import type { EntryKind } from './sections';
import { attribute, children, child, descend, textContent, type XmlElement } from './xml';

export type ClinicalResource = Condition | AllergyIntolerance | MedicationRequest | Observation | Immunization | Procedure;

/** What an entry of each kind must hold to become a resource, for the issue that reports one that does not. */
export const WHAT_AN_ENTRY_NEEDS: Readonly<Record<EntryKind, string>> = {
  condition: 'coded value',
  allergy: 'coded value',
  medication: 'coded value',
  result: 'coded value',
  finding: 'coded value',
  immunization: 'vaccine with the date it was given',
  procedure: 'procedure coded as done',
};

export interface EntryContext {
  patient: Reference<Patient>;
  narrative: NarrativeIndex;
  institutionNumber: string;
}

/** The clinical statement of an entry: directly under entry, or wrapped in a concern act (entryRelationship). */
function clinicalStatements(entry: XmlElement, name: string): XmlElement[] {
  const direct = children(entry, name);
  const wrapped = children(child(entry, 'act'), 'entryRelationship').flatMap((relationship) => children(relationship, name));
  return [...direct, ...wrapped];
}

/** Maps one entry; returns no resources when the entry has nothing coded for this kind. */
export function mapEntry(entry: XmlElement, kind: EntryKind, context: EntryContext): ClinicalResource[] {
  switch (kind) {
    case 'condition':
      return clinicalStatements(entry, 'observation').flatMap((observation) => conditionFrom(observation, context) ?? []);
    case 'allergy':
      return clinicalStatements(entry, 'observation').flatMap((observation) => allergyFrom(observation, context) ?? []);
    case 'medication':
      return clinicalStatements(entry, 'substanceAdministration').flatMap((administration) => medicationRequestFrom(administration, context) ?? []);
    case 'result':
    case 'finding':
      return clinicalStatements(entry, 'observation').flatMap((observation) => observationFrom(observation, kind, context) ?? []);
    case 'immunization':
      return clinicalStatements(entry, 'substanceAdministration').flatMap((administration) => immunizationFrom(administration, context) ?? []);
    case 'procedure':
      return clinicalStatements(entry, 'procedure').flatMap((procedure) => procedureFrom(procedure, context) ?? []);
  }
}

/** moodCode EVN (or none, its default): the act happened, as a history section states it; INT or RQO is only planned. */
function happened(statement: XmlElement): boolean {
  return (attribute(statement, 'moodCode') ?? 'EVN') === 'EVN';
}

interface Interval {
  start?: string;
  end?: string;
}

/** IVL_TS low/high, or a single TS value as the start. */
function intervalFrom(effectiveTime: XmlElement | undefined): Interval {
  const start = dateTimeFromTS(attribute(child(effectiveTime, 'low'), 'value') ?? attribute(effectiveTime, 'value'));
  const end = dateTimeFromTS(attribute(child(effectiveTime, 'high'), 'value'));
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

/**
 * What every entry resource begins with: its `_eCS` profile, the sending facility's institution number, and
 * the statement's own ids.
 */
function ecsHead(profile: keyof typeof ECS_PROFILE, statement: XmlElement, context: EntryContext): { meta: { profile: string[] }; extension: Extension[]; identifier?: Identifier[] } {
  const identifiers = identifiersFromIIs(children(statement, 'id'));
  return {
    meta: { profile: [ECS_PROFILE[profile]] },
    extension: [institutionNumberExtension(context.institutionNumber)],
    ...(identifiers.length > 0 ? { identifier: identifiers } : {}),
  };
}

function conditionFrom(observation: XmlElement, context: EntryContext): Condition | undefined {
  const code = codeableConceptFromCD(child(observation, 'value'), context.narrative);
  if (!code) return undefined;
  const { start, end } = intervalFrom(child(observation, 'effectiveTime'));
  const refuted = attribute(observation, 'negationInd') === 'true';
  return {
    resourceType: 'Condition',
    ...ecsHead('Condition', observation, context),
    // An end date means the problem is over; without one the letter presents it as current.
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: end ? 'resolved' : 'active' }] },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: refuted ? 'refuted' : 'confirmed' }],
    },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
    code,
    subject: context.patient,
    ...(start ? { onsetDateTime: start } : {}),
    ...(end ? { abatementDateTime: end } : {}),
  };
}

type AllergyCategory = NonNullable<AllergyIntolerance['category']>[number];
interface IntoleranceKind {
  type?: AllergyIntolerance['type'];
  category?: AllergyCategory;
}

/**
 * Observation codes that say what kind of intolerance it is: HL7 v3 ObservationIntoleranceType (C-CDA style)
 * and HL7 v2 table 0127 (allergen type, as JAHIS v2 messages send it), by their FHIR system URLs.
 */
const INTOLERANCE_KIND: Readonly<Record<string, Readonly<Record<string, IntoleranceKind>>>> = {
  'http://terminology.hl7.org/CodeSystem/v3-ActCode': {
    ALG: { type: 'allergy' },
    DALG: { type: 'allergy', category: 'medication' },
    FALG: { type: 'allergy', category: 'food' },
    EALG: { type: 'allergy', category: 'environment' },
    INT: { type: 'intolerance' },
    DINT: { type: 'intolerance', category: 'medication' },
    FINT: { type: 'intolerance', category: 'food' },
    EINT: { type: 'intolerance', category: 'environment' },
  },
  'http://terminology.hl7.org/CodeSystem/v2-0127': {
    DA: { category: 'medication' },
    FA: { category: 'food' },
    EA: { category: 'environment' },
    LA: { category: 'environment' },
    AA: { category: 'environment' },
    PA: { category: 'environment' },
  },
};

function intoleranceKind(code: CodeableConcept | undefined): IntoleranceKind {
  for (const coding of code?.coding ?? []) {
    const kind = coding.system && coding.code ? INTOLERANCE_KIND[coding.system]?.[coding.code] : undefined;
    if (kind) return kind;
  }
  return {};
}

/** The allergen: the consumable participant (C-CDA), else the observation value. */
function allergenOf(observation: XmlElement, narrative: NarrativeIndex): CodeableConcept | undefined {
  const consumable = children(observation, 'participant').find((participant) => attribute(participant, 'typeCode') === 'CSM');
  const playingEntity = descend(consumable, 'participantRole', 'playingEntity');
  return codeableConceptFromCD(child(playingEntity, 'code'), narrative) ?? codeableConceptFromCD(child(observation, 'value'), narrative);
}

function allergyFrom(observation: XmlElement, context: EntryContext): AllergyIntolerance | undefined {
  const allergen = allergenOf(observation, context.narrative);
  if (!allergen) return undefined;
  const kind = intoleranceKind(codeableConceptFromCD(child(observation, 'code'), context.narrative));
  const codedAsDrug = allergen.coding?.some((coding) => coding.system !== undefined && DRUG_CODE_SYSTEM_URLS.has(coding.system));
  const category = kind.category ?? (codedAsDrug ? 'medication' : undefined);
  const { start, end } = intervalFrom(child(observation, 'effectiveTime'));
  const manifestations = children(observation, 'entryRelationship')
    .filter((relationship) => attribute(relationship, 'typeCode') === 'MFST')
    .map((relationship) => codeableConceptFromCD(descend(relationship, 'observation', 'value'), context.narrative))
    .filter((manifestation): manifestation is CodeableConcept => manifestation !== undefined);
  return {
    resourceType: 'AllergyIntolerance',
    ...ecsHead('AllergyIntolerance', observation, context),
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: end ? 'resolved' : 'active' }],
    },
    ...(kind.type ? { type: kind.type } : {}),
    ...(category ? { category: [category] } : {}),
    code: allergen,
    patient: context.patient,
    ...(start ? { onsetDateTime: start } : {}),
    ...(manifestations.length > 0 ? { reaction: [{ manifestation: manifestations }] } : {}),
  };
}

const MEDICATION_STATUS: Readonly<Record<string, MedicationRequest['status']>> = {
  active: 'active',
  completed: 'completed',
  aborted: 'stopped',
  cancelled: 'cancelled',
  suspended: 'on-hold',
  held: 'on-hold',
  nullified: 'entered-in-error',
};

/** What a substanceAdministration gives (a drug or a vaccine): its material's code, else its name. */
function administeredProduct(administration: XmlElement, narrative: NarrativeIndex): CodeableConcept | undefined {
  const material = descend(administration, 'consumable', 'manufacturedProduct', 'manufacturedMaterial');
  const codedProduct = codeableConceptFromCD(child(material, 'code'), narrative);
  const materialName = descend(material, 'name');
  const product = codedProduct ?? (materialName ? { text: originalText(materialName, narrative) } : undefined);
  return product && (product.coding || product.text) ? product : undefined;
}

function medicationRequestFrom(administration: XmlElement, context: EntryContext): MedicationRequest | undefined {
  const medication = administeredProduct(administration, context.narrative);
  if (!medication) return undefined;
  const statusCode = attribute(child(administration, 'statusCode'), 'code');
  const dosage = dosageFrom(administration, context.narrative);
  return {
    resourceType: 'MedicationRequest',
    ...ecsHead('MedicationRequest', administration, context),
    status: (statusCode && MEDICATION_STATUS[statusCode]) || 'unknown',
    intent: 'order',
    medicationCodeableConcept: medication,
    subject: context.patient,
    ...(dosage ? { dosageInstruction: [dosage] } : {}),
  };
}

function dosageFrom(administration: XmlElement, narrative: NarrativeIndex): Dosage | undefined {
  const text = originalText(child(administration, 'text'), narrative);
  const period = children(administration, 'effectiveTime')
    .filter((effectiveTime) => !attribute(effectiveTime, 'xsi:type')?.endsWith('PIVL_TS'))
    .map(intervalFrom)
    .find((interval) => interval.start || interval.end);
  const route = codeableConceptFromCD(child(administration, 'routeCode'), narrative);
  const doseQuantity = child(administration, 'doseQuantity');
  const doseValue = Number(attribute(doseQuantity, 'value'));
  const doseUnit = attribute(doseQuantity, 'unit');
  const dosage: Dosage = {
    ...(text ? { text } : {}),
    ...(period ? { timing: { repeat: { boundsPeriod: period } } } : {}),
    ...(route ? { route } : {}),
    ...(attribute(doseQuantity, 'value') !== undefined && Number.isFinite(doseValue)
      ? { doseAndRate: [{ doseQuantity: { value: doseValue, ...(doseUnit ? { unit: doseUnit } : {}) } }] }
      : {}),
  };
  return Object.keys(dosage).length > 0 ? dosage : undefined;
}

const SIMPLE_OBSERVATION_CATEGORY_SYSTEM = 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS';
/**
 * JP_SimpleObservationCategory_CS (JP Core's first category slice) by entry kind: 検査結果 are laboratory results,
 * 身体所見 exam findings, as the eReferral IG sets them.
 */
const OBSERVATION_CATEGORY: Readonly<Record<'result' | 'finding', Coding>> = {
  result: { system: SIMPLE_OBSERVATION_CATEGORY_SYSTEM, code: 'laboratory', display: 'Laboratory' },
  finding: { system: SIMPLE_OBSERVATION_CATEGORY_SYSTEM, code: 'exam', display: 'Exam' },
};

/**
 * A result (検査結果) or physical finding (身体所見) with its code and value: PQ → valueQuantity, CD →
 * valueCodeableConcept, ST → valueString. A finding without a standard code keeps its item name as code.text, which
 * the IG allows.
 */
function observationFrom(observation: XmlElement, kind: 'result' | 'finding', context: EntryContext): Observation | undefined {
  const code = codeableConceptFromCD(child(observation, 'code'), context.narrative);
  if (!code) return undefined;
  const value = child(observation, 'value');
  const valueType = attribute(value, 'xsi:type')?.replace(/^.*:/, '');
  const quantity = Number(attribute(value, 'value'));
  const unit = attribute(value, 'unit');
  const coded = valueType === 'CD' || valueType === 'CE' || valueType === 'CWE' ? codeableConceptFromCD(value, context.narrative) : undefined;
  const text = valueType === 'ST' ? textContent(value) : undefined;
  const { start } = intervalFrom(child(observation, 'effectiveTime'));
  const statusCode = attribute(child(observation, 'statusCode'), 'code');
  return {
    resourceType: 'Observation',
    ...ecsHead('Observation', observation, context),
    // A CDA result without statusCode is a reported one: the letter states it as its finding.
    status: statusCode === 'active' ? 'preliminary' : 'final',
    category: [{ coding: [OBSERVATION_CATEGORY[kind]] }],
    code,
    subject: context.patient,
    ...(start ? { effectiveDateTime: start } : {}),
    ...(valueType === 'PQ' && attribute(value, 'value') !== undefined && Number.isFinite(quantity)
      ? { valueQuantity: { value: quantity, ...(unit ? { unit, system: 'http://unitsofmeasure.org', code: unit } : {}) } }
      : {}),
    ...(coded ? { valueCodeableConcept: coded } : {}),
    ...(text ? { valueString: text } : {}),
  };
}

/** 予防接種歴: a vaccination given (moodCode EVN) with its vaccine and date; Immunization.occurrence[x] is required. */
function immunizationFrom(administration: XmlElement, context: EntryContext): Immunization | undefined {
  const vaccineCode = administeredProduct(administration, context.narrative);
  const occurrence = intervalFrom(child(administration, 'effectiveTime')).start;
  if (!vaccineCode || !occurrence || !happened(administration)) return undefined;
  const statusCode = attribute(child(administration, 'statusCode'), 'code');
  const lotNumber = textContent(descend(administration, 'consumable', 'manufacturedProduct', 'manufacturedMaterial', 'lotNumberText'));
  const site = codeableConceptFromCD(child(administration, 'approachSiteCode'), context.narrative);
  const route = codeableConceptFromCD(child(administration, 'routeCode'), context.narrative);
  const doseQuantity = child(administration, 'doseQuantity');
  const doseValue = Number(attribute(doseQuantity, 'value'));
  const doseUnit = attribute(doseQuantity, 'unit');
  return {
    resourceType: 'Immunization',
    ...ecsHead('Immunization', administration, context),
    // A negated administration records a vaccination not given; otherwise the letter reports one given.
    status: attribute(administration, 'negationInd') === 'true' ? 'not-done' : statusCode === 'nullified' ? 'entered-in-error' : 'completed',
    vaccineCode,
    patient: context.patient,
    occurrenceDateTime: occurrence,
    ...(lotNumber ? { lotNumber } : {}),
    ...(site ? { site } : {}),
    ...(route ? { route } : {}),
    ...(attribute(doseQuantity, 'value') !== undefined && Number.isFinite(doseValue)
      ? { doseQuantity: { value: doseValue, ...(doseUnit ? { unit: doseUnit } : {}) } }
      : {}),
  };
}

/** CDA act statusCode → Procedure.status; an act done without a statusCode is reported as completed. */
const PROCEDURE_STATUS: Readonly<Record<string, Procedure['status']>> = {
  completed: 'completed',
  active: 'in-progress',
  aborted: 'stopped',
  cancelled: 'not-done',
  suspended: 'on-hold',
  held: 'on-hold',
  nullified: 'entered-in-error',
};

/** 手術 / 輸血歴 / 処置: a procedure done (moodCode EVN) with its code, time and body site. */
function procedureFrom(procedure: XmlElement, context: EntryContext): Procedure | undefined {
  const code = codeableConceptFromCD(child(procedure, 'code'), context.narrative);
  if (!code || !happened(procedure)) return undefined;
  const statusCode = attribute(child(procedure, 'statusCode'), 'code');
  const effectiveTime = child(procedure, 'effectiveTime');
  // A TS value is a point in time; an IVL_TS low/high a period, even when both ends are the same day.
  const performedAt = dateTimeFromTS(attribute(effectiveTime, 'value'));
  const period = performedAt ? {} : intervalFrom(effectiveTime);
  const bodySite = children(procedure, 'targetSiteCode')
    .map((site) => codeableConceptFromCD(site, context.narrative))
    .filter((site): site is CodeableConcept => site !== undefined);
  return {
    resourceType: 'Procedure',
    ...ecsHead('Procedure', procedure, context),
    status: attribute(procedure, 'negationInd') === 'true' ? 'not-done' : (statusCode && PROCEDURE_STATUS[statusCode]) || 'completed',
    code,
    subject: context.patient,
    ...(performedAt ? { performedDateTime: performedAt } : {}),
    ...(period.start || period.end ? { performedPeriod: period } : {}),
    ...(bodySite.length > 0 ? { bodySite } : {}),
  };
}
