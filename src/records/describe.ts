/**
 * Short human-readable facts about a FHIR resource for lists and charts: a title, whether a result is
 * abnormal, its numeric value. Read from the JSON, for any facility's coding.
 */
import type { CodeableConcept, Observation, Resource } from '@medplum/fhirtypes';

const ABNORMAL = new Set(['H', 'HH', 'HU', 'L', 'LL', 'LU', 'A', 'AA', '<', '>']);

/** An Encounter's class (v3-ActCode) in words where the visit names no type: 外来 outpatient, 入院 inpatient, 救急 emergency, 在宅 home. */
const ENCOUNTER_CLASS_WORDS: Record<string, string> = { AMB: '外来', IMP: '入院', ACUTE: '入院', NONAC: '入院', EMER: '救急', HH: '在宅', VR: 'オンライン診療' };

export function titleOf(resource: Resource): string {
  const r = resource as unknown as Record<string, unknown>;
  const concept = (r.code ?? r.medicationCodeableConcept ?? r.vaccineCode ?? r.type) as CodeableConcept | CodeableConcept[] | undefined;
  const first = Array.isArray(concept) ? concept[0] : concept;
  const text = first?.text ?? first?.coding?.find((c) => c.display)?.display ?? first?.coding?.[0]?.code;
  if (text) return text;
  if (resource.resourceType === 'Encounter' && resource.class) {
    const visit = resource.class;
    return visit.display ?? ENCOUNTER_CLASS_WORDS[visit.code ?? ''] ?? visit.code ?? 'Encounter';
  }
  if (resource.resourceType === 'ImagingStudy') return resource.description ?? resource.modality?.map((m) => m.code).join('/') ?? 'ImagingStudy';
  if (resource.resourceType === 'MedicationRequest' && resource.contained?.length) return titleOf(resource.contained[0]);
  return resource.resourceType;
}

/** True for an Observation flagged abnormal (v3 ObservationInterpretation or v2 table 0078); undefined when it says nothing. */
export function abnormalOf(resource: Resource): boolean | undefined {
  if (resource.resourceType !== 'Observation') return undefined;
  const codes = (resource.interpretation ?? []).flatMap((i) => i.coding ?? []).map((c) => c.code ?? '');
  if (!codes.length) return undefined;
  return codes.some((c) => ABNORMAL.has(c));
}

export function numericValueOf(observation: Observation): number | undefined {
  return typeof observation.valueQuantity?.value === 'number' ? observation.valueQuantity.value : undefined;
}
