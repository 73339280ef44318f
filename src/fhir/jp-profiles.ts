/**
 * The JP Core 1.2 / JP-CLINS profiles Tonet's mappers claim in meta.profile, by resource type, for the
 * CapabilityStatement's supportedProfile. tests/mapping/jp-core-conformance.test.ts fails when a mapper claims a
 * profile missing here, so the list is what the mapped data really says.
 */
const CORE = 'http://jpfhir.jp/fhir/core/StructureDefinition/';

export const SUPPORTED_JP_PROFILES: Readonly<Record<string, readonly string[]>> = {
  Patient: [`${CORE}JP_Patient`],
  Encounter: [`${CORE}JP_Encounter`],
  Condition: [`${CORE}JP_Condition_Diagnosis`],
  AllergyIntolerance: [`${CORE}JP_AllergyIntolerance`],
  Coverage: [`${CORE}JP_Coverage`],
  Observation: [`${CORE}JP_Observation_Common`, `${CORE}JP_Observation_LabResult`, `${CORE}JP_Observation_BodyMeasurement`, `${CORE}JP_Observation_VitalSigns`],
  DiagnosticReport: [`${CORE}JP_DiagnosticReport_Common`, `${CORE}JP_DiagnosticReport_LabResult`],
  MedicationRequest: [`${CORE}JP_MedicationRequest`, `${CORE}JP_MedicationRequest_Injection`],
  MedicationAdministration: [`${CORE}JP_MedicationAdministration`, `${CORE}JP_MedicationAdministration_Injection`],
  Immunization: [`${CORE}JP_Immunization`],
  ServiceRequest: [`${CORE}JP_ServiceRequest_Common`],
  Specimen: [`${CORE}JP_Specimen_Common`],
  ImagingStudy: [`${CORE}JP_ImagingStudy_Radiology`, `${CORE}JP_ImagingStudy_Endoscopy`],
  Procedure: [`${CORE}JP_Procedure`],
  DocumentReference: [`${CORE}JP_DocumentReference`],
  Composition: ['http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Composition_eReferral', 'http://jpfhir.jp/fhir/eDischargeSummary/StructureDefinition/JP_Composition_eDischargeSummary'],
  Bundle: ['http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral', 'http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eDischargeSummary'],
};
