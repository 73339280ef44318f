/**
 * CDA `codeSystem` OIDs → FHIR code-system URLs. JP codes use the JP Core 1.2 / JP-CLINS URLs, not the
 * `urn:oid:` forms of JP Core 1.1 (shared/reference/jp-standards.md §3). An OID not listed here is kept as
 * `urn:oid:<oid>` so that no coding is ever dropped; adding a system is one line.
 */
const CODE_SYSTEM_URL_BY_OID: Readonly<Record<string, string>> = {
  // International
  '2.16.840.1.113883.6.1': 'http://loinc.org',
  '2.16.840.1.113883.6.96': 'http://snomed.info/sct',
  '2.16.840.1.113883.6.3': 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full',
  '2.16.840.1.113883.5.1': 'http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender',
  '2.16.840.1.113883.5.4': 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  '2.16.840.1.113883.5.25': 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  // Vaccination route and site, the systems JP-CLINS names for Immunization.route and .site
  '2.16.840.1.113883.5.112': 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration',
  '2.16.840.1.113883.5.1052': 'http://terminology.hl7.org/CodeSystem/v3-ActSite',
  '2.16.840.1.113883.12.127': 'http://terminology.hl7.org/CodeSystem/v2-0127',
  // HL7 v2 table 0162 (route): JP Core keeps its own copy.
  '2.16.840.1.113883.12.162': 'http://jpfhir.jp/fhir/core/CodeSystem/route-codes',
  // MEDIS drug codes
  '1.2.392.200119.4.403.1': 'http://medis.or.jp/CodeSystem/master-HOT9',
  '1.2.392.200119.4.403.2': 'http://medis.or.jp/CodeSystem/master-HOT7',
  '1.2.392.200119.4.402.1': 'http://medis.or.jp/CodeSystem/master-HOT13',
  '1.2.392.100495.20.1.73': 'http://capstandard.jp/iyaku.info/CodeSystem/YJ-code',
  '1.2.392.100495.20.1.81': 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationGeneralOrderCode',
  // MEDIS standard disease names: 病名交換用コード, 病名管理番号 (OID from JP Core's NamingSystem), modifiers
  '1.2.392.200119.4.101.6': 'http://medis.or.jp/CodeSystem/master-disease-exCode',
  '1.2.392.200119.4.101.2': 'http://medis.or.jp/CodeSystem/master-disease-keyNumber',
  '1.2.392.200119.4.201.5': 'http://medis.or.jp/CodeSystem/master-disease-modExCode',
  '1.2.392.200119.4.201.2': 'http://medis.or.jp/CodeSystem/master-disease-modKeyNumber',
  // Laboratory, usage, units, departments
  '1.2.392.200119.4.504': 'http://medis.or.jp/CodeSystem/master-JLAC10-17digits',
  '1.2.392.200250.2.2.20': 'http://jami.jp/CodeSystem/MedicationUsage',
  '1.2.392.100495.20.2.101': 'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationUnitMERIT9Code',
  '1.2.392.200250.2.2.2': 'http://jami.jp/SS-MIX2/CodeSystem/ClinicalDepartment',
};

export const LOINC_OID = '2.16.840.1.113883.6.1';

export function codeSystemUrl(oid: string): string {
  return CODE_SYSTEM_URL_BY_OID[oid] ?? `urn:oid:${oid}`;
}

/** Drug code systems: an allergen coded in one of these is a medication allergy. */
export const DRUG_CODE_SYSTEM_URLS: ReadonlySet<string> = new Set([
  'http://medis.or.jp/CodeSystem/master-HOT9',
  'http://medis.or.jp/CodeSystem/master-HOT7',
  'http://medis.or.jp/CodeSystem/master-HOT13',
  'http://capstandard.jp/iyaku.info/CodeSystem/YJ-code',
  'http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationGeneralOrderCode',
]);
