/**
 * The demo's CT image: a DICOM Part 10 file (CT Image Storage, explicit VR little endian, UTF-8 text) written
 * here rather than shipped, so that it carries the demo patient's hospital number and name and no third
 * party's data. 32 × 32 pixels of a phantom-like disc: small, but every Type 1 and Type 2 attribute of the
 * CT Image IOD's mandatory modules is present, so any DICOM reader takes it, and STOW-RS stores it as a
 * modality's file.
 */
import { randomUUID } from 'node:crypto';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Tonet's implementation class: a UUID-derived UID (PS3.5 B.2), fixed so every file it writes names the same. */
const IMPLEMENTATION_CLASS_UID = '2.25.160734813906231937458276094115387251837';
const SIZE = 32;

export interface CtImageInput {
  /** The hospital's patient number (Patient ID), as its modality would send it. */
  patientId: string;
  /** Japanese name as DICOM PN groups: alphabetic, ideographic (kanji), phonetic (kana). */
  patientName: { alphabetic: string; ideographic: string; phonetic: string };
  birthDate: string;
  sex: 'M' | 'F';
  /** yyyyMMdd and HHmmss, Japan time. */
  studyDate: string;
  studyTime: string;
  studyDescription: string;
  bodyPart: string;
  accessionNumber: string;
}

export interface CtImage {
  bytes: Buffer;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

export function writeCtImage(input: CtImageInput): CtImage {
  const [studyInstanceUid, seriesInstanceUid, sopInstanceUid, frameOfReferenceUid] = [0, 1, 2, 3].map(() => uuidUid());
  const name = `${input.patientName.alphabetic}=${input.patientName.ideographic}=${input.patientName.phonetic}`;
  const meta = [
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', CT_IMAGE_STORAGE),
    element(0x0002, 0x0003, 'UI', sopInstanceUid),
    element(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    element(0x0002, 0x0012, 'UI', IMPLEMENTATION_CLASS_UID),
    element(0x0002, 0x0013, 'SH', 'TONET_DEMO'),
  ];
  const metaLength = element(0x0002, 0x0000, 'UL', uint32(meta.reduce((n, b) => n + b.length, 0)));
  // In tag order, as Part 5 requires.
  const dataSet = [
    element(0x0008, 0x0005, 'CS', 'ISO_IR 192'),
    element(0x0008, 0x0008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    element(0x0008, 0x0016, 'UI', CT_IMAGE_STORAGE),
    element(0x0008, 0x0018, 'UI', sopInstanceUid),
    element(0x0008, 0x0020, 'DA', input.studyDate),
    element(0x0008, 0x0030, 'TM', input.studyTime),
    element(0x0008, 0x0050, 'SH', input.accessionNumber),
    element(0x0008, 0x0060, 'CS', 'CT'),
    element(0x0008, 0x0070, 'LO', 'Tonet demo'),
    element(0x0008, 0x0090, 'PN', ''),
    element(0x0008, 0x0201, 'SH', '+0900'),
    element(0x0008, 0x1030, 'LO', input.studyDescription),
    element(0x0010, 0x0010, 'PN', name),
    element(0x0010, 0x0020, 'LO', input.patientId),
    element(0x0010, 0x0030, 'DA', input.birthDate.replace(/-/g, '')),
    element(0x0010, 0x0040, 'CS', input.sex),
    element(0x0018, 0x0015, 'CS', input.bodyPart),
    element(0x0018, 0x0050, 'DS', '5'),
    element(0x0018, 0x0060, 'DS', '120'),
    element(0x0020, 0x000d, 'UI', studyInstanceUid),
    element(0x0020, 0x000e, 'UI', seriesInstanceUid),
    element(0x0020, 0x0010, 'SH', '1'),
    element(0x0020, 0x0011, 'IS', '1'),
    element(0x0020, 0x0012, 'IS', '1'),
    element(0x0020, 0x0013, 'IS', '1'),
    element(0x0020, 0x0020, 'CS', 'L\\P'),
    element(0x0020, 0x0032, 'DS', '-80\\-80\\0'),
    element(0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'),
    element(0x0020, 0x0052, 'UI', frameOfReferenceUid),
    element(0x0020, 0x1040, 'LO', ''),
    element(0x0028, 0x0002, 'US', uint16(1)),
    element(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    element(0x0028, 0x0010, 'US', uint16(SIZE)),
    element(0x0028, 0x0011, 'US', uint16(SIZE)),
    element(0x0028, 0x0030, 'DS', '5\\5'),
    element(0x0028, 0x0100, 'US', uint16(16)),
    element(0x0028, 0x0101, 'US', uint16(12)),
    element(0x0028, 0x0102, 'US', uint16(11)),
    element(0x0028, 0x0103, 'US', uint16(0)),
    element(0x0028, 0x1050, 'DS', '40'),
    element(0x0028, 0x1051, 'DS', '400'),
    element(0x0028, 0x1052, 'DS', '-1024'),
    element(0x0028, 0x1053, 'DS', '1'),
    element(0x0028, 0x1054, 'LO', 'HU'),
    element(0x7fe0, 0x0010, 'OW', discPixels()),
  ];
  const bytes = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), metaLength, ...meta, ...dataSet]);
  return { bytes, studyInstanceUid, seriesInstanceUid, sopInstanceUid };
}

/** VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

/** One data element, little endian, its value padded to even length (NUL for UI, space for text). */
function element(group: number, elementNumber: number, vr: string, value: string | Buffer): Buffer {
  let data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (data.length % 2) data = Buffer.concat([data, Buffer.from(vr === 'UI' ? [0] : vr === 'OB' ? [0] : [0x20])]);
  const long = LONG_VRS.has(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(data.length, 8);
  else header.writeUInt16LE(data.length, 6);
  return Buffer.concat([header, data]);
}

function uint16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return b;
}

function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

/** Water (0 HU) inside a disc, air (-1024 HU) around it, stored with the rescale intercept of -1024. */
function discPixels(): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 2);
  const centre = (SIZE - 1) / 2;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const inside = (x - centre) ** 2 + (y - centre) ** 2 <= (SIZE * 0.4) ** 2;
      pixels.writeUInt16LE(inside ? 1024 : 0, (y * SIZE + x) * 2);
    }
  }
  return pixels;
}

/** A UID from a random UUID (PS3.5 B.2: "2.25." and the UUID as one decimal integer). */
function uuidUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}
