/**
 * What every mapped message writes is valid as the server would judge a client's write: R4 structure and
 * required bindings, by the server's own `validate`. The ingest path relies on this instead of validating each
 * mapped resource again at store time (Repository.ofMappedData), so every valid NHO sample is checked here.
 */
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from '../../../src/core/definitions';
import { FhirError } from '../../../src/core/errors';
import { validate } from '../../../src/fhir/repository';
import { decodeHl7, mapHl7v2 } from '../../../src/mapping/hl7v2';
import { FACILITY, validSampleFiles } from './helpers';
import fs from 'node:fs';

beforeAll(() => loadDefinitions());

const samples = validSampleFiles().map((file) => [path.relative(path.dirname(path.dirname(file)), file), file] as const);

test('the NHO samples are there', () => expect(samples.length).toBeGreaterThan(15));

test.each(samples)('%s maps to valid FHIR', (_, file) => {
  const result = mapHl7v2(decodeHl7(fs.readFileSync(file)), FACILITY);
  const problems: string[] = [];
  for (const [i, entry] of (result.bundle.entry ?? []).entries()) {
    if (!entry.resource) continue;
    try {
      validate(entry.resource as Resource);
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      problems.push(`entry[${i}] ${entry.resource.resourceType}: ${JSON.stringify(err.outcome.issue?.map((x) => x.details?.text ?? x.diagnostics))}`);
    }
  }
  expect(problems).toEqual([]);
});
