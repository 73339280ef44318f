/**
 * DICOM instances → one JP Core ImagingStudy (JP_ImagingStudy_Radiology), merged into an existing study when given
 * (one made from an HL7 OMI^Z23 message, or from an earlier batch). Series and instances are keyed by their UIDs,
 * so the same SOP instance sent again, or in another transfer syntax, is one instance.
 * Pure: output depends only on the arguments, and is sorted so that arrival order does not matter.
 */
import type { Coding, Identifier, ImagingStudy, ImagingStudySeries, ImagingStudySeriesInstance } from '@medplum/fhirtypes';
import { fhirDateTime, parseTimestamp } from '../common/time';
import type { SendingFacility } from '../types';
import { bodySiteCoding } from './body-parts';
import { DicomError } from './errors';
import type { DicomInstance } from './read-instance';

const PROFILE = 'http://jpfhir.jp/fhir/core/StructureDefinition/JP_ImagingStudy_Radiology';
const DICOM_UID_SYSTEM = 'urn:dicom:uid';
const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';
const ACCESSION_TYPE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' };

export function mapImagingStudy(
  instances: DicomInstance[],
  facility: SendingFacility,
  patientReference: string,
  existing?: ImagingStudy,
): ImagingStudy {
  const studyUid = studyUidOf(instances, existing);
  const seriesByUid = new Map<string, ImagingStudySeries>((existing?.series ?? []).map((series) => [series.uid, series]));
  for (const instance of instances) {
    const series = seriesByUid.get(instance.seriesInstanceUid) ?? { uid: instance.seriesInstanceUid, modality: modalityCoding(instance.modality) };
    seriesByUid.set(instance.seriesInstanceUid, mergeInstance(series, instance));
  }
  const series = [...seriesByUid.values()].sort(byNumberThenUid);
  const first = instances.find((instance) => instance.studyDate) ?? instances[0];
  const started = existing?.started ?? (first ? startedOf(first) : undefined);
  const description = existing?.description ?? instances.find((instance) => instance.studyDescription)?.studyDescription;
  const { series: _existingSeries, ...existingRest } = existing ?? {};
  return {
    ...existingRest,
    resourceType: 'ImagingStudy',
    meta: { ...existing?.meta, profile: union(existing?.meta?.profile ?? [], [PROFILE]) },
    identifier: identifiersOf(studyUid, instances, facility, existing?.identifier ?? []),
    status: 'available',
    modality: uniqueCodings([...(existing?.modality ?? []), ...series.map((entry) => entry.modality)]),
    subject: { reference: patientReference },
    ...(started ? { started } : {}),
    numberOfSeries: series.length,
    numberOfInstances: series.reduce((count, entry) => count + (entry.instance?.length ?? 0), 0),
    ...(description ? { description } : {}),
    ...(series.length > 0 ? { series } : {}),
  };
}

/** The study UID all inputs must share: from the existing study's identifier, else from the instances. */
function studyUidOf(instances: DicomInstance[], existing: ImagingStudy | undefined): string {
  const existingUid = existing?.identifier?.find((identifier) => identifier.system === DICOM_UID_SYSTEM)?.value?.replace(/^urn:oid:/, '');
  const studyUid = existingUid ?? instances[0]?.studyInstanceUid;
  if (!studyUid) throw new DicomError('no-instances', 'no DICOM instances given and no existing ImagingStudy with a Study Instance UID');
  const stranger = instances.find((instance) => instance.studyInstanceUid !== studyUid);
  if (stranger) {
    throw new DicomError(
      'study-mismatch',
      `SOP instance ${stranger.sopInstanceUid} belongs to study ${stranger.studyInstanceUid}, not ${studyUid}`,
    );
  }
  return studyUid;
}

/** Adds the instance unless its SOP Instance UID is there; fills series fields the series does not have yet. */
function mergeInstance(series: ImagingStudySeries, instance: DicomInstance): ImagingStudySeries {
  const instances = series.instance ?? [];
  const known = instances.some((candidate) => candidate.uid === instance.sopInstanceUid);
  const added: ImagingStudySeriesInstance = {
    uid: instance.sopInstanceUid,
    sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${instance.sopClassUid}` },
    ...(isUnsignedInt(instance.instanceNumber) ? { number: instance.instanceNumber } : {}),
  };
  const merged = known ? instances : [...instances, added];
  return {
    ...series,
    ...(series.number === undefined && isUnsignedInt(instance.seriesNumber) ? { number: instance.seriesNumber } : {}),
    ...(!series.description && instance.seriesDescription ? { description: instance.seriesDescription } : {}),
    ...(!series.bodySite && instance.bodyPartExamined ? { bodySite: bodySiteCoding(instance.bodyPartExamined) } : {}),
    numberOfInstances: merged.length,
    instance: [...merged].sort(byNumberThenUid),
  };
}

function identifiersOf(studyUid: string, instances: DicomInstance[], facility: SendingFacility, existing: Identifier[]): Identifier[] {
  const identifiers = [...existing];
  if (!identifiers.some((identifier) => identifier.system === DICOM_UID_SYSTEM)) {
    identifiers.unshift({ system: DICOM_UID_SYSTEM, value: `urn:oid:${studyUid}` });
  }
  const accessionNumbers = new Set(instances.flatMap((instance) => (instance.accessionNumber ? [instance.accessionNumber] : [])));
  for (const accessionNumber of accessionNumbers) {
    const present = identifiers.some(
      (identifier) => identifier.value === accessionNumber && identifier.type?.coding?.some((coding) => coding.code === ACCESSION_TYPE.code),
    );
    if (!present) {
      // Accession numbers are unique only within the facility that issued them.
      identifiers.push({ type: { coding: [ACCESSION_TYPE] }, value: accessionNumber, assigner: { reference: facility.organizationReference } });
    }
  }
  return identifiers;
}

function modalityCoding(modality: string): Coding {
  return { system: DCM_SYSTEM, code: modality };
}

/**
 * DA + TM (+ (0008,0201) offset) → FHIR dateTime; a date alone stays a date. Together they spell an HL7 timestamp,
 * so the shared rules apply, Japan time included when the offset is absent. A malformed time or offset is dropped
 * rather than losing the date.
 */
function startedOf(instance: DicomInstance): string | undefined {
  const date = instance.studyDate ?? '';
  if (!/^\d{8}$/.test(date)) return undefined;
  const time = instance.studyTime ?? '';
  const parts = parseTimestamp(date + time + (instance.timezoneOffset ?? '')) ?? parseTimestamp(date + time) ?? parseTimestamp(date);
  return parts && fhirDateTime(parts);
}

function isUnsignedInt(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value >= 0;
}

function byNumberThenUid(a: { number?: number; uid: string }, b: { number?: number; uid: string }): number {
  const byNumber = (a.number ?? Number.MAX_SAFE_INTEGER) - (b.number ?? Number.MAX_SAFE_INTEGER);
  return byNumber !== 0 ? byNumber : a.uid.localeCompare(b.uid);
}

/** Distinct codings in code order, so that a merged study equals one mapped from all instances at once. */
function uniqueCodings(codings: Coding[]): Coding[] {
  const byKey = new Map(codings.map((coding) => [`${coding.system}|${coding.code}`, coding]));
  return [...byKey.keys()].sort().map((key) => byKey.get(key) as Coding);
}

function union(values: string[], additions: string[]): string[] {
  return [...new Set([...values, ...additions])];
}
