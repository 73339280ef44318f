import fs from 'node:fs';
import path from 'node:path';
import { mapHl7v2 } from '../../../src/mapping/hl7v2';
import { fixturePath } from '../../fixtures';
import { FACILITY, mapSample, sampleText, setField, withSegment } from './helpers';

const unmapped = (issues: { code: string; segment?: string; field?: number }[]) => issues.filter((issue) => issue.code === '0').map((issue) => `${issue.segment}-${issue.field ?? '*'}`);

describe('fields Tonet does not map are reported, never dropped silently', () => {
  test('each unmapped field is one warning (code 0) naming segment and field, counted over repeated segments', () => {
    let text = sampleText('OML-11');
    for (const sequence of [1, 2, 3]) {
      text = withSegment(text, 'OBX', sequence, (line) => setField(line, 9, '5'));
    }
    const result = mapHl7v2(text, FACILITY);
    expect(result.issues.filter((issue) => issue.segment === 'OBX' && issue.field === 9)).toEqual([
      { severity: 'warning', code: '0', segment: 'OBX', segmentSequence: 1, field: 9, message: 'OBX-9 is not mapped by Tonet (3 segments); the message keeps it in the inbox' },
    ]);
    // ORC-13 (entering location) has no JP Core element; Tonet says so instead of dropping it.
    expect(unmapped(result.issues)).toContain('ORC-13');
    // PV1 of a lab result is its visit (JAMI: PV1 → Encounter), no longer reported.
    expect(unmapped(result.issues)).not.toContain('PV1-3');
    // Mapped fields are never reported; set IDs carry no data.
    expect(unmapped(result.issues)).not.toContain('OBX-5');
    expect(unmapped(result.issues)).not.toContain('OBX-1');
    expect(unmapped(mapSample('OMP-01').issues)).toContain('RXE-6');
  });

  test('a field no table knows is reported; a rejected message reports only why it was rejected', () => {
    const extra = mapHl7v2(withSegment(sampleText('OML-11'), 'OBX', 2, (line) => setField(line, 9, '5')), FACILITY);
    expect(extra.issues).toContainEqual(expect.objectContaining({ severity: 'warning', code: '0', segment: 'OBX', segmentSequence: 2, field: 9 }));
    const rejected = mapHl7v2(withSegment(sampleText('OML-11'), 'OBX', 2, (line) => setField(line, 5, 'x')), FACILITY);
    expect(unmapped(rejected.issues)).toEqual([]);
  });
});

/**
 * Every field a JAMI ConceptMap maps, wherever the NHO sample of that data type sends it, is mapped by Tonet, or is one
 * of the documented gaps below (which the ACK reports as above and docs/jp-conformance.md lists).
 */
describe('JAMI ssmix2-to-fhir ConceptMaps are covered', () => {
  const CONCEPT_MAPS = fixturePath('ssmix2-to-fhir-conceptmaps', 'fsh-generated', 'resources');
  const DATA_TYPES: Record<string, string[]> = {
    'segment-adt-00-': ['ADT-00'],
    'segment-adt-61-': ['ADT-61'],
    'segment-adt-xx-pv1-': ['ADT-22', 'ADT-42', 'ADT-52'],
    // The common PV1 map: ADT messages, and the orders and results whose message maps name PV1 → Encounter.
    'segment-pv1-': ['ADT-22', 'ADT-42', 'ADT-52', 'OML-11', 'OMP-01', 'OMP-12'],
    'segment-oml-11-': ['OML-11'],
    'segment-omp-01-': ['OMP-01'],
    'segment-omp-12-': ['OMP-12'],
    'segment-ppr-01-': ['PPR-01'],
    'segment-pid-': ['ADT-00', 'ADT-22', 'ADT-61', 'PPR-01', 'OMP-01', 'OMP-12', 'OML-11'],
  };
  /** JAMI maps these; Tonet does not yet (reported per message). Each says why. */
  const GAPS: Record<string, string> = {
    'OML-11 ORC-13': 'ORC-13 (entering device/location) has no ServiceRequest element in JP Core',
  };

  const rows: [string, string][] = [];
  for (const file of fs.readdirSync(CONCEPT_MAPS).filter((name) => name.startsWith('ConceptMap-segment-'))) {
    const stem = file.replace(/^ConceptMap-/, '');
    const prefix = Object.keys(DATA_TYPES).find((candidate) => stem.startsWith(candidate));
    if (!prefix) {
      continue;
    }
    const map = JSON.parse(fs.readFileSync(path.join(CONCEPT_MAPS, file), 'utf8')) as { group: { element: { code: string; target?: { code?: string }[] }[] }[] };
    const fields = map.group.flatMap((group) => group.element.filter((element) => element.target?.some((target) => target.code) && /^[A-Z][A-Z0-9]{2}-\d+$/.test(element.code)).map((element) => element.code));
    for (const dataType of DATA_TYPES[prefix]) {
      rows.push(...fields.map((field): [string, string] => [dataType, field]));
    }
  }

  test('the ConceptMaps were read', () => {
    expect(rows.length).toBeGreaterThan(100);
  });

  test.each([...new Set(rows.map(([dataType]) => dataType))])('%s: every JAMI-mapped field the sample sends is mapped', (dataType) => {
    const reported = new Set(unmapped(mapSample(dataType).issues));
    const missed = rows
      .filter(([rowType, field]) => rowType === dataType && reported.has(field))
      .map(([, field]) => `${dataType} ${field}`)
      .filter((entry) => !(entry in GAPS));
    expect([...new Set(missed)]).toEqual([]);
  });
});
