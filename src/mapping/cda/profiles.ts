/**
 * The JP-CLINS profiles (`_eCS`, jami-fhir-jp-wg/clinical-core) the resources of a CDA-derived document Bundle claim:
 * the eReferral and eDischargeSummary Bundles reference these, not the plain JP Core ones.
 */
import type { Extension } from '@medplum/fhirtypes';

const ECS = 'http://jpfhir.jp/fhir/eCS/StructureDefinition';

export const ECS_PROFILE = {
  Patient: `${ECS}/JP_Patient_eCS`,
  Practitioner: `${ECS}/JP_Practitioner_eCS`,
  Organization: `${ECS}/JP_Organization_eCS`,
  Encounter: `${ECS}/JP_Encounter_eCS`,
  Condition: `${ECS}/JP_Condition_eCS`,
  AllergyIntolerance: `${ECS}/JP_AllergyIntolerance_eCS`,
  MedicationRequest: `${ECS}/JP_MedicationRequest_eCS`,
  Observation: `${ECS}/JP_Observation_Common_eCS`,
  Immunization: `${ECS}/JP_Immunization_eCS`,
  Procedure: `${ECS}/JP_Procedure_eCS`,
} as const;

export const INSTITUTION_NUMBER_SYSTEM = 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no';

/** JP_eCS_InstitutionNumber: the facility that recorded a clinical resource (CLINS example resources carry it). */
export function institutionNumberExtension(institutionNumber: string): Extension {
  return {
    url: 'http://jpfhir.jp/fhir/clins/Extension/StructureDefinition/JP_eCS_InstitutionNumber',
    valueIdentifier: { system: INSTITUTION_NUMBER_SYSTEM, value: institutionNumber },
  };
}
