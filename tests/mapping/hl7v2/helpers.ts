import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource, ResourceType } from '@medplum/fhirtypes';
import { decodeHl7, mapHl7v2 } from '../../../src/mapping/hl7v2';
import type { MappingResult, SendingFacility } from '../../../src/mapping/types';
import { fixturePath } from '../../fixtures';

export const FACILITY: SendingFacility = { code: '1312345670', organizationReference: 'Organization/toro' };
export const PATIENT_SYSTEM = 'urn:oid:1.2.392.100495.20.3.51.11312345670';

export const SAMPLE_ROOT = fixturePath('ssmix2-nho', 'sampleData');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Valid samples of patient 9999013, by SS-MIX2 data-type folder. */
export function samplePath(dataType: string): string {
  const matches = filesUnder(path.join(SAMPLE_ROOT, '999')).filter((file) => path.basename(path.dirname(file)) === dataType);
  if (matches.length !== 1) {
    throw new Error(`Expected one ${dataType} sample, found ${matches.length}`);
  }
  return matches[0];
}

export const BROKEN_DIR = path.join(SAMPLE_ROOT, '000', '000', '0000001');
export const brokenFiles = (): string[] => filesUnder(BROKEN_DIR).sort();
export const validSampleFiles = (): string[] => filesUnder(path.join(SAMPLE_ROOT, '999')).sort();

export function sampleText(dataType: string): string {
  return decodeHl7(fs.readFileSync(samplePath(dataType)));
}

export function mapSample(dataType: string): MappingResult {
  return mapHl7v2(sampleText(dataType), FACILITY);
}

export const GOLDEN_DIR = path.join(__dirname, 'golden');

/**
 * Golden inputs Tonet wrote for data types the NHO samples lack, on the NHO samples' patient and header: ADT-01
 * (A54 and its cancel A55, the events of JAMI's table-v2-0003 ConceptMaps) and extended storage's vital signs (an
 * ORU^R01 of a ward's blood pressure, pulse, temperature, SpO2 and weight).
 */
export const AUTHORED_GOLDEN = ['ADT-01', 'ADT-01-A55', 'VITAL-SIGNS'];

/** A golden input as the mapper receives it: CR between segments. */
export function goldenText(name: string): string {
  return fs.readFileSync(path.join(GOLDEN_DIR, `${name}.hl7`), 'utf8').replace(/\n$/, '').split('\n').join('\r');
}

/** The message a data type's coverage rows are read from: the NHO sample, else Tonet's golden input. */
export function messageText(dataType: string): string {
  return AUTHORED_GOLDEN.includes(dataType) ? goldenText(dataType) : sampleText(dataType);
}

export function mapMessage(dataType: string): MappingResult {
  return mapHl7v2(messageText(dataType), FACILITY);
}

export function resourcesOf<T extends Resource>(bundle: Bundle, type: ResourceType): T[] {
  return (bundle.entry ?? []).map((entry) => entry.resource).filter((resource): resource is T => resource?.resourceType === type);
}

export function entryFor(bundle: Bundle, resource: Resource) {
  const entry = (bundle.entry ?? []).find((candidate) => candidate.resource === resource);
  if (!entry) {
    throw new Error('resource not in bundle');
  }
  return entry;
}

export function errorsOf(result: MappingResult) {
  return result.issues.filter((issue) => issue.severity === 'error');
}

/** Replaces one segment line (by name and 1-based sequence) in decoded message text, for variants of a fixture. */
export function withSegment(text: string, name: string, sequence: number, replace: (line: string) => string): string {
  let seen = 0;
  return text
    .split('\r')
    .map((line) => (line.startsWith(`${name}|`) && ++seen === sequence ? replace(line) : line))
    .join('\r');
}

export function setField(line: string, field: number, value: string): string {
  const parts = line.split('|');
  // MSH counts the field separator itself as field 1.
  const index = parts[0] === 'MSH' ? field - 1 : field;
  while (parts.length <= index) {
    parts.push('');
  }
  parts[index] = value;
  return parts.join('|');
}

/** Issues other than the "not mapped by Tonet" report (code 0), which golden files and unmapped.test.ts check. */
export function mappingIssues(result: MappingResult) {
  return result.issues.filter((issue) => issue.code !== '0');
}
