/**
 * WADO-RS metadata: a DICOM file's data set as DICOM JSON. Golden files: the expected JSON of each input file
 * beside this test (tests/mapping/dicom/metadata/), `UPDATE_GOLDEN=1` rewrites them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dicomJsonMetadata } from '../../../src/mapping/dicom';
import { fixturePath } from '../../fixtures';

const GOLDEN = path.join(__dirname, 'metadata');
const bulk = (tag: string) => `bulkdata/${tag}`;
const metadataOf = (...parts: string[]) => dicomJsonMetadata(fs.readFileSync(fixturePath(...parts)), bulk);

const CASES: [string, string[]][] = [
  ['CT1_UNC.explicit_little_endian.json', ['dicom-ct', 'testImages', 'CT1_UNC.explicit_little_endian.dcm']],
  ['chrH31.json', ['dicom-japanese-charset', 'chrH31.dcm']],
];

test.each(CASES)('%s', (golden, input) => {
  const actual = metadataOf(...input);
  const file = path.join(GOLDEN, golden);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
  expect(actual).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
});

test('an implicit-VR file gives the explicit one\'s metadata for every attribute whose VR it knows, and UN bytes for the rest', () => {
  const explicit = metadataOf('dicom-ct', 'testImages', 'CT1_UNC.explicit_little_endian.dcm');
  const implicit = metadataOf('dicom-ct', 'testImages', 'CT1_UNC.implicit_little_endian.dcm');
  expect(Object.keys(implicit)).toEqual(Object.keys(explicit));
  const known = Object.keys(implicit).filter((tag) => implicit[tag].vr !== 'UN' && tag !== '00020010');
  expect(known.length).toBeGreaterThan(40);
  for (const tag of known) expect([tag, implicit[tag]]).toEqual([tag, explicit[tag]]);
  expect(implicit['00191003']).toEqual({ vr: 'UN', InlineBinary: expect.any(String) });
  expect(implicit['00020010'].Value).toEqual(['1.2.840.10008.1.2']);
});

test('big-endian values read as numbers, and sequences item by item', () => {
  const bigEndian = metadataOf('dicom-ct', 'testImages', 'CT1_UNC.explicit_big_endian.dcm');
  expect(bigEndian['00280010']).toEqual({ vr: 'US', Value: [512] });
  expect(bigEndian['00280120']).toEqual({ vr: 'SS', Value: [-2000] });
  const enhanced = metadataOf('dicom-ct', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_baseline.51.dcm');
  const perFrame = enhanced['52009230'];
  expect(perFrame.vr).toBe('SQ');
  expect(perFrame.Value?.length).toBeGreaterThan(1);
  expect(enhanced['7FE00010']).toEqual({ vr: 'OB', BulkDataURI: 'bulkdata/7FE00010' });
});
