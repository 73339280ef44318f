/**
 * One DICOM Part 10 file → the attributes an ImagingStudy needs, read with dicom-parser.
 * Text values (PN, LO, SH) are decoded by Specific Character Set; UIDs and code strings are ASCII by definition.
 */
import { parseDicom, type DataSet } from 'dicom-parser';
import { decodeText, parseSpecificCharacterSet } from './character-set';
import { DicomError } from './errors';

/** Person name component groups (PS3.5 §6.2.1.1), each still `^`-separated: `Yamada^Tarou`, `山田^太郎`, `やまだ^たろう`. */
export interface DicomPersonName {
  alphabetic?: string;
  ideographic?: string;
  phonetic?: string;
}

export interface DicomInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  modality: string;
  bodyPartExamined?: string;
  /** DA as sent, `YYYYMMDD`. */
  studyDate?: string;
  /** TM as sent, `HHMMSS.FFFFFF` or shorter. */
  studyTime?: string;
  /** (0008,0201) `+HHMM` / `-HHMM`. */
  timezoneOffset?: string;
  studyDescription?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  instanceNumber?: number;
  accessionNumber?: string;
  patientId?: string;
  patientName?: DicomPersonName;
  numberOfFrames?: number;
  /** (0008,0005) terms; the first is empty for the default repertoire. */
  specificCharacterSet: string[];
}

const TAG = {
  transferSyntaxUid: 'x00020010',
  mediaStorageSopClassUid: 'x00020002',
  mediaStorageSopInstanceUid: 'x00020003',
  specificCharacterSet: 'x00080005',
  sopClassUid: 'x00080016',
  sopInstanceUid: 'x00080018',
  studyDate: 'x00080020',
  studyTime: 'x00080030',
  accessionNumber: 'x00080050',
  modality: 'x00080060',
  timezoneOffset: 'x00080201',
  studyDescription: 'x00081030',
  seriesDescription: 'x0008103e',
  patientName: 'x00100010',
  patientId: 'x00100020',
  bodyPartExamined: 'x00180015',
  studyInstanceUid: 'x0020000d',
  seriesInstanceUid: 'x0020000e',
  seriesNumber: 'x00200011',
  instanceNumber: 'x00200013',
  numberOfFrames: 'x00280008',
} as const;

const PREAMBLE_LENGTH = 128;

export function readDicomInstance(bytes: Buffer): DicomInstance {
  const prefix = bytes.subarray(PREAMBLE_LENGTH, PREAMBLE_LENGTH + 4).toString('latin1');
  if (prefix !== 'DICM') {
    throw new DicomError('not-dicom', `not a DICOM Part 10 file: no "DICM" prefix at byte ${PREAMBLE_LENGTH} (${bytes.length} bytes given)`);
  }
  const dataSet = parseOrThrow(bytes);
  const specificCharacterSet = parseSpecificCharacterSet(asciiValue(dataSet, TAG.specificCharacterSet));
  const text = (tag: string): string | undefined => textValue(dataSet, tag, specificCharacterSet);
  const required = (tag: string, name: string, fallbackTag?: string): string => {
    const value = asciiValue(dataSet, tag) ?? (fallbackTag ? asciiValue(dataSet, fallbackTag) : undefined);
    if (!value) throw new DicomError('missing-attribute', `DICOM file has no ${name} (${tagLabel(tag)})`);
    return value;
  };
  const patientName = text(TAG.patientName);
  return {
    studyInstanceUid: required(TAG.studyInstanceUid, 'Study Instance UID'),
    seriesInstanceUid: required(TAG.seriesInstanceUid, 'Series Instance UID'),
    sopInstanceUid: required(TAG.sopInstanceUid, 'SOP Instance UID', TAG.mediaStorageSopInstanceUid),
    sopClassUid: required(TAG.sopClassUid, 'SOP Class UID', TAG.mediaStorageSopClassUid),
    transferSyntaxUid: required(TAG.transferSyntaxUid, 'Transfer Syntax UID'),
    modality: required(TAG.modality, 'Modality'),
    ...optional('bodyPartExamined', asciiValue(dataSet, TAG.bodyPartExamined)),
    ...optional('studyDate', asciiValue(dataSet, TAG.studyDate)),
    ...optional('studyTime', asciiValue(dataSet, TAG.studyTime)),
    ...optional('timezoneOffset', asciiValue(dataSet, TAG.timezoneOffset)),
    ...optional('studyDescription', text(TAG.studyDescription)),
    ...optional('seriesNumber', integerValue(dataSet, TAG.seriesNumber)),
    ...optional('seriesDescription', text(TAG.seriesDescription)),
    ...optional('instanceNumber', integerValue(dataSet, TAG.instanceNumber)),
    ...optional('accessionNumber', text(TAG.accessionNumber)),
    ...optional('patientId', text(TAG.patientId)),
    ...optional('patientName', patientName === undefined ? undefined : personName(patientName)),
    ...optional('numberOfFrames', integerValue(dataSet, TAG.numberOfFrames)),
    specificCharacterSet,
  };
}

function optional<K extends keyof DicomInstance>(key: K, value: DicomInstance[K] | undefined): Partial<DicomInstance> {
  return value === undefined ? {} : { [key]: value };
}

/** dicom-parser throws strings, Errors, or `{ exception, dataSet }`; all become a DicomError. */
function parseOrThrow(bytes: Buffer): DataSet {
  try {
    return parseDicom(bytes);
  } catch (thrown) {
    const detail =
      typeof thrown === 'string'
        ? thrown
        : thrown instanceof Error
          ? thrown.message
          : String((thrown as { exception?: unknown } | null)?.exception ?? thrown);
    const truncated = /past end of buffer|buffer overrun|buffer overread/i.test(detail);
    throw new DicomError(
      truncated ? 'truncated' : 'invalid',
      truncated ? `DICOM file is truncated (${bytes.length} bytes): ${detail}` : `DICOM file could not be read: ${detail}`,
    );
  }
}

function rawBytes(dataSet: DataSet, tag: string): Uint8Array | undefined {
  const element = dataSet.elements[tag];
  if (!element || element.length === 0) return undefined;
  return dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
}

/** Padding is a trailing space (text) or NUL (UI); leading and trailing spaces are insignificant in these VRs. */
function trimmed(value: string): string | undefined {
  const result = value.replace(/^[\s\0]+|[\s\0]+$/g, '');
  return result === '' ? undefined : result;
}

function asciiValue(dataSet: DataSet, tag: string): string | undefined {
  const bytes = rawBytes(dataSet, tag);
  return bytes && trimmed(Buffer.from(bytes).toString('latin1'));
}

function textValue(dataSet: DataSet, tag: string, specificCharacterSet: readonly string[]): string | undefined {
  const bytes = rawBytes(dataSet, tag);
  return bytes && trimmed(decodeText(bytes, specificCharacterSet));
}

function integerValue(dataSet: DataSet, tag: string): number | undefined {
  const value = asciiValue(dataSet, tag);
  return value !== undefined && /^[+-]?\d+$/.test(value) ? Number(value) : undefined;
}

/** Only the first value: Patient's Name has VM 1, so a backslash can only be a stray delimiter. */
function personName(value: string): DicomPersonName {
  const [alphabetic, ideographic, phonetic] = value.split('\\')[0].split('=').map((group) => trimmed(group));
  return {
    ...(alphabetic ? { alphabetic } : {}),
    ...(ideographic ? { ideographic } : {}),
    ...(phonetic ? { phonetic } : {}),
  };
}

function tagLabel(tag: string): string {
  return `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5).toUpperCase()})`;
}
