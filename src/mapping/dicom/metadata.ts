/**
 * One DICOM Part 10 file → its data set as DICOM JSON (PS3.18 §F.2), what WADO-RS answers to a metadata request
 * and what a viewer such as Cornerstone reads before it asks for pixels. Every element of the data set is
 * given, sequences item by item; the file meta group is left out except its Transfer Syntax UID, which a
 * viewer needs to decode the pixels. Values larger than `INLINE_BINARY_LIMIT` of a binary VR (the pixel data
 * above all) are not copied in: they are named by the BulkDataURI that `bulkDataUri` gives, so a series'
 * metadata stays a few kilobytes per image.
 *
 * An implicit-VR file carries no VR, so the VR comes from `IMPLICIT_VR`, the attributes of the image modules a
 * viewer reads; an attribute outside it is UN (its bytes, as the standard allows for an unknown VR).
 */
import { parseDicom, type DataSet, type Element } from 'dicom-parser';
import { decodeText, parseSpecificCharacterSet } from './character-set';
import { DicomError } from './errors';

export type DicomJsonValue = string | number | Record<string, unknown> | DicomJson | null;
export type DicomJson = Record<string, { vr: string; Value?: DicomJsonValue[]; InlineBinary?: string; BulkDataURI?: string }>;

export const INLINE_BINARY_LIMIT = 1024;

const TRANSFER_SYNTAX_UID = 'x00020010';
const SPECIFIC_CHARACTER_SET = 'x00080005';
const PIXEL_DATA = 'x7fe00010';
const TRAILING_PADDING = 'xfffcfffc';

/** VRs of the attributes a viewer reads, for files in Implicit VR Little Endian (PS3.6). */
const IMPLICIT_VR: Record<string, string> = {
  x00080005: 'CS', x00080008: 'CS', x00080012: 'DA', x00080013: 'TM', x00080016: 'UI', x00080018: 'UI',
  x00080020: 'DA', x00080021: 'DA', x00080022: 'DA', x00080023: 'DA', x00080030: 'TM', x00080031: 'TM',
  x00080032: 'TM', x00080033: 'TM', x00080050: 'SH', x00080060: 'CS', x00080064: 'CS', x00080070: 'LO',
  x00080080: 'LO', x00080090: 'PN', x00080201: 'SH', x00081030: 'LO', x0008103e: 'LO', x00081090: 'LO',
  x00081140: 'SQ', x00081150: 'UI', x00081155: 'UI', x00082111: 'ST',
  x00100010: 'PN', x00100020: 'LO', x00100030: 'DA', x00100040: 'CS', x00101010: 'AS',
  x00180015: 'CS', x00180050: 'DS', x00180060: 'DS', x00180088: 'DS', x00181020: 'LO', x00181030: 'LO',
  x00181100: 'DS', x00181110: 'DS', x00181111: 'DS', x00181120: 'DS', x00181130: 'DS', x00181150: 'IS',
  x00181151: 'IS', x00181152: 'IS', x00181160: 'SH', x00181170: 'IS', x00181190: 'DS', x00181210: 'SH',
  x00185100: 'CS',
  x0020000d: 'UI', x0020000e: 'UI', x00200010: 'SH', x00200011: 'IS', x00200012: 'IS', x00200013: 'IS',
  x00200020: 'CS', x00200032: 'DS', x00200037: 'DS', x00200052: 'UI', x00201040: 'LO', x00201041: 'DS',
  x00280002: 'US', x00280004: 'CS', x00280006: 'US', x00280008: 'IS', x00280010: 'US', x00280011: 'US',
  x00280030: 'DS', x00280100: 'US', x00280101: 'US', x00280102: 'US', x00280103: 'US', x00281050: 'DS',
  x00281051: 'DS', x00281052: 'DS', x00281053: 'DS', x00281054: 'LO', x00282110: 'CS',
  x7fe00010: 'OW',
};

/** Text VRs whose value is one string, backslashes and all. */
const SINGLE_TEXT_VRS = new Set(['LT', 'ST', 'UT', 'UR']);
/** VRs whose bytes are in the Specific Character Set; the others are ASCII by definition. */
const CHARACTER_SET_VRS = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMBER_READERS: Record<string, { size: number; read: (dataSet: DataSet, tag: string, index: number) => number | undefined }> = {
  US: { size: 2, read: (d, t, i) => d.uint16(t, i) },
  SS: { size: 2, read: (d, t, i) => d.int16(t, i) },
  UL: { size: 4, read: (d, t, i) => d.uint32(t, i) },
  SL: { size: 4, read: (d, t, i) => d.int32(t, i) },
  FL: { size: 4, read: (d, t, i) => d.float(t, i) },
  FD: { size: 8, read: (d, t, i) => d.double(t, i) },
};

export function dicomJsonMetadata(bytes: Buffer, bulkDataUri: (tag: string) => string): DicomJson {
  const dataSet = parse(bytes);
  const characterSet = parseSpecificCharacterSet(dataSet.string(SPECIFIC_CHARACTER_SET));
  return dataSetJson(dataSet, characterSet, (tag) => tag === TRANSFER_SYNTAX_UID || !tag.startsWith('x0002'), bulkDataUri);
}

function dataSetJson(dataSet: DataSet, characterSet: readonly string[], include: (tag: string) => boolean, bulkDataUri: (tag: string) => string): DicomJson {
  const json: DicomJson = {};
  for (const tag of Object.keys(dataSet.elements).sort()) {
    // Group lengths (gggg,0000) are retired from data sets, and say nothing in JSON.
    if (!include(tag) || tag.endsWith('0000') || tag === TRAILING_PADDING) continue;
    json[tag.slice(1).toUpperCase()] = elementJson(dataSet, dataSet.elements[tag], characterSet, bulkDataUri);
  }
  return json;
}

function elementJson(dataSet: DataSet, element: Element, characterSet: readonly string[], bulkDataUri: (tag: string) => string): DicomJson[string] {
  const vr = element.vr ?? IMPLICIT_VR[element.tag] ?? (element.items ? 'SQ' : 'UN');
  if (element.items) {
    // An item's own Specific Character Set would replace the data set's within it; none of Tonet's senders write one.
    return { vr: 'SQ', Value: element.items.map((item) => (item.dataSet ? dataSetJson(item.dataSet, characterSet, () => true, bulkDataUri) : {})) };
  }
  if (element.tag === PIXEL_DATA || element.encapsulatedPixelData) {
    return { vr: vr === 'UN' ? 'OW' : vr, BulkDataURI: bulkDataUri(element.tag.slice(1).toUpperCase()) };
  }
  if (element.length === 0) return { vr };
  const raw = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  if (BINARY_VRS.has(vr)) {
    return element.length > INLINE_BINARY_LIMIT ? { vr, BulkDataURI: bulkDataUri(element.tag.slice(1).toUpperCase()) } : { vr, InlineBinary: Buffer.from(raw).toString('base64') };
  }
  const numbers = NUMBER_READERS[vr];
  if (numbers) {
    return { vr, Value: Array.from({ length: Math.floor(element.length / numbers.size) }, (_, index) => numbers.read(dataSet, element.tag, index) ?? null) };
  }
  if (vr === 'AT') {
    return { vr, Value: Array.from({ length: Math.floor(element.length / 4) }, (_, index) => {
      const group = dataSet.uint16(element.tag, index * 2) ?? 0;
      const elementNumber = dataSet.uint16(element.tag, index * 2 + 1) ?? 0;
      return `${group.toString(16).padStart(4, '0')}${elementNumber.toString(16).padStart(4, '0')}`.toUpperCase();
    }) };
  }
  const text = CHARACTER_SET_VRS.has(vr) ? decodeText(raw, characterSet) : Buffer.from(raw).toString('latin1');
  if (SINGLE_TEXT_VRS.has(vr)) return { vr, Value: [text.replace(/[\s\0]+$/, '')] };
  const values = text.split('\\').map((value) => value.replace(/^[ ]+|[\s\0]+$/g, ''));
  if (vr === 'IS' || vr === 'DS') return { vr, Value: values.map((value) => (value === '' || !Number.isFinite(Number(value)) ? null : Number(value))) };
  if (vr === 'PN') return { vr, Value: values.map(personNameJson) };
  return { vr, Value: values.map((value) => (value === '' ? null : value)) };
}

/** `Alphabetic=Ideographic=Phonetic` → the DICOM JSON person name object, empty groups left out. */
function personNameJson(value: string): Record<string, string> | null {
  // Trailing empty components say nothing (PS3.5 §6.2.1).
  const [alphabetic, ideographic, phonetic] = value.split('=').map((group) => group.replace(/\^+$/, ''));
  const name = { ...(alphabetic ? { Alphabetic: alphabetic } : {}), ...(ideographic ? { Ideographic: ideographic } : {}), ...(phonetic ? { Phonetic: phonetic } : {}) };
  return Object.keys(name).length ? name : null;
}

/**
 * The value bytes of one top-level attribute (`7FE00010`, as in a BulkDataURI), as the file holds them: native
 * pixel data in the file's byte order, encapsulated pixel data as its item-encoded fragments. Undefined when
 * the file has no such attribute or it is empty.
 */
export function dicomBulkData(bytes: Buffer, tag: string): Buffer | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(tag)) return undefined;
  const dataSet = parse(bytes);
  const element = dataSet.elements[`x${tag.toLowerCase()}`];
  if (!element || element.items || element.length <= 0) return undefined;
  return Buffer.from(dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length));
}

/** Stored files were read once at STOW-RS, so a failure here is a file that changed under us, not the caller's. */
function parse(bytes: Buffer): DataSet {
  try {
    return parseDicom(bytes, { vrCallback: (tag: string) => IMPLICIT_VR[tag] });
  } catch (thrown) {
    throw new DicomError('invalid', `DICOM file could not be read: ${typeof thrown === 'string' ? thrown : thrown instanceof Error ? thrown.message : 'unreadable'}`);
  }
}
