/** The demo's CT image is a DICOM Part 10 file that the server's own reader (dicom-parser) takes as a modality's. */
import { parseDicom } from 'dicom-parser';
import { CT_IMAGE_STORAGE, writeCtImage } from '../../src/demo/ct-image';
import { readDicomInstance } from '../../src/mapping/dicom';

const input = {
  patientId: '01100001',
  patientName: { alphabetic: 'YAMADA^TARO', ideographic: '山田^太郎', phonetic: 'ヤマダ^タロウ' },
  birthDate: '1951-04-12',
  sex: 'M' as const,
  studyDate: '20261130',
  studyTime: '093000',
  studyDescription: '胸部単純CT',
  bodyPart: 'CHEST',
  accessionNumber: 'CT-0001',
};

test('it reads back with its UIDs, the Japanese name in all three groups, and the study attributes', () => {
  const image = writeCtImage(input);
  expect(readDicomInstance(image.bytes)).toEqual({
    studyInstanceUid: image.studyInstanceUid,
    seriesInstanceUid: image.seriesInstanceUid,
    sopInstanceUid: image.sopInstanceUid,
    sopClassUid: CT_IMAGE_STORAGE,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    modality: 'CT',
    bodyPartExamined: 'CHEST',
    studyDate: '20261130',
    studyTime: '093000',
    timezoneOffset: '+0900',
    studyDescription: '胸部単純CT',
    seriesNumber: 1,
    instanceNumber: 1,
    accessionNumber: 'CT-0001',
    patientId: '01100001',
    patientName: { alphabetic: 'YAMADA^TARO', ideographic: '山田^太郎', phonetic: 'ヤマダ^タロウ' },
    specificCharacterSet: ['ISO_IR 192'],
  });
  for (const uid of [image.studyInstanceUid, image.seriesInstanceUid, image.sopInstanceUid]) expect(uid).toMatch(/^2\.25\.\d{1,39}$/);
});

test('its meta group length is right and the 32 × 32 16-bit pixels end the file', () => {
  const image = writeCtImage(input);
  const dataSet = parseDicom(image.bytes);
  // The data set's first element (Specific Character Set, an 8-byte header) starts where the meta group ends.
  const metaEnd = 132 + 12 + (dataSet.uint32('x00020000') as number);
  expect(dataSet.elements.x00080005.dataOffset).toBe(metaEnd + 8);
  expect(dataSet.uint16('x00280010')).toBe(32);
  expect(dataSet.uint16('x00280011')).toBe(32);
  const pixels = dataSet.elements.x7fe00010;
  expect(pixels.length).toBe(32 * 32 * 2);
  expect(pixels.dataOffset + pixels.length).toBe(image.bytes.length);
  // Water in the middle, air in the corner (stored values; the rescale intercept is -1024).
  const stored = (x: number, y: number) => image.bytes.readUInt16LE(pixels.dataOffset + (y * 32 + x) * 2);
  expect([stored(16, 16), stored(0, 0)]).toEqual([1024, 0]);
  expect(writeCtImage(input).sopInstanceUid).not.toBe(image.sopInstanceUid);
});
