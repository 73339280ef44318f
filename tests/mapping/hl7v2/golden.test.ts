/**
 * Golden files: for every SS-MIX2 data type in the NHO samples, the message in (`golden/<type>.hl7`, decoded to UTF-8,
 * one segment per line) beside the FHIR it maps to (`golden/<type>.json`: data type, issues and bundle). A mapping
 * change shows up as a JSON diff to review; after reviewing it, `UPDATE_GOLDEN=1` rewrites the JSON. Data types the
 * NHO samples lack have inputs Tonet wrote (helpers.ts AUTHORED_GOLDEN), mapped and compared the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mapHl7v2 } from '../../../src/mapping/hl7v2';
import { AUTHORED_GOLDEN, FACILITY, GOLDEN_DIR, goldenText, sampleText } from './helpers';

const DATA_TYPES = ['ADT-00', 'ADT-22', 'ADT-42', 'ADT-52', 'ADT-61', 'PPR-01', 'OMD', 'OMP-01', 'OMP-02', 'OMP-11', 'OMP-12', 'OML-01', 'OML-11', 'OMG-01', 'OMG-02', 'OMG-03', 'OMG-11', 'OMG-12', 'OMG-13'];
const update = process.env.UPDATE_GOLDEN === '1';

function expectGoldenOutput(name: string): void {
  const outputPath = path.join(GOLDEN_DIR, `${name}.json`);
  const result = mapHl7v2(goldenText(name), FACILITY);
  const actual = { dataType: result.dataType, issues: result.issues, bundle: result.bundle };
  if (update) {
    fs.writeFileSync(outputPath, JSON.stringify(actual, null, 2) + '\n');
  }
  expect(actual).toEqual(JSON.parse(fs.readFileSync(outputPath, 'utf8')));
}

describe.each(DATA_TYPES)('%s golden file', (dataType) => {
  const inputPath = path.join(GOLDEN_DIR, `${dataType}.hl7`);

  test('the golden input is the NHO sample, decoded', () => {
    const decoded = sampleText(dataType).replace(/\r$/, '').split('\r').join('\n') + '\n';
    if (update) {
      fs.mkdirSync(GOLDEN_DIR, { recursive: true });
      fs.writeFileSync(inputPath, decoded);
    }
    expect(fs.readFileSync(inputPath, 'utf8')).toBe(decoded);
  });

  test('maps to the golden FHIR', () => expectGoldenOutput(dataType));
});

describe.each(AUTHORED_GOLDEN)('%s golden file (input written by Tonet)', (name) => {
  test('maps to the golden FHIR', () => expectGoldenOutput(name));
});
