/**
 * The proof layer: every resource the HL7 v2 mapping writes for every SS-MIX2 data type (the golden outputs) is
 * checked against what the JP Core 1.2 profile it claims fixes or requires (jp-core-constraints.ts), and against
 * mixing JP Core releases.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { SUPPORTED_JP_PROFILES } from '../../src/fhir/jp-profiles';
import { CONSTRAINTS, JP_CORE_1_1_SYSTEMS, urisIn, V2_NAMES_WITH_JP_SYSTEMS } from './jp-core-constraints';

const GOLDEN_DIR = path.join(__dirname, 'hl7v2', 'golden');
const JP_PROFILE = /^http:\/\/jpfhir\.jp\/fhir\/core\/StructureDefinition\/(JP_\w+)$/;
/** Resource types JP Core 1.2 has no profile for; Tonet claims none for them. */
const NO_JP_PROFILE = new Set(['NutritionOrder']);

const mapped: [string, Resource][] = fs
  .readdirSync(GOLDEN_DIR)
  .filter((name) => name.endsWith('.json'))
  .flatMap((name) => ((JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, name), 'utf8')) as { bundle: Bundle }).bundle.entry ?? []).map((entry): [string, Resource] => [name.replace('.json', ''), entry.resource as Resource]))
  .filter(([, resource]) => resource !== undefined);

test('every data type contributes resources', () => {
  expect(new Set(mapped.map(([dataType]) => dataType)).size).toBe(fs.readdirSync(GOLDEN_DIR).filter((name) => name.endsWith('.hl7')).length);
  expect(mapped.length).toBeGreaterThan(100);
});

test('each resource claims exactly one JP Core profile, and every claimed profile has constraints to check', () => {
  const problems = mapped.flatMap(([dataType, resource]) => {
    const profiles = resource.meta?.profile ?? [];
    if (NO_JP_PROFILE.has(resource.resourceType)) {
      return profiles.length ? [`${dataType} ${resource.resourceType} claims ${profiles.join(', ')}`] : [];
    }
    const name = profiles.length === 1 ? JP_PROFILE.exec(profiles[0])?.[1] : undefined;
    if (!name) {
      return [`${dataType} ${resource.resourceType}: meta.profile ${JSON.stringify(profiles)}`];
    }
    return CONSTRAINTS.some((constraint) => constraint.profile === name) ? [] : [`${dataType}: no constraints written for ${name}`];
  });
  expect(problems).toEqual([]);
});

test('the CapabilityStatement names every profile the mapping claims (supportedProfile)', () => {
  const missing = mapped.flatMap(([dataType, resource]) => (resource.meta?.profile ?? []).filter((profile) => !SUPPORTED_JP_PROFILES[resource.resourceType]?.includes(profile)).map((profile) => `${dataType} ${resource.resourceType} ${profile}`));
  expect(missing).toEqual([]);
});

test('each resource meets the constraints of the profile it claims', () => {
  const problems = mapped.flatMap(([dataType, resource]) => {
    const name = JP_PROFILE.exec(resource.meta?.profile?.[0] ?? '')?.[1];
    return CONSTRAINTS.filter((constraint) => constraint.profile === name)
      .map((constraint) => [constraint, constraint.check(resource as unknown as Record<string, unknown>)] as const)
      .filter(([, problem]) => problem !== undefined)
      .map(([constraint, problem]) => `${dataType} ${name} (${constraint.rule}): ${problem}`);
  });
  expect(problems).toEqual([]);
});

test('one release: no JP Core 1.1 urn:oid system and no fallback system for a v2 name JP Core names', () => {
  const problems = mapped.flatMap(([dataType, resource]) =>
    urisIn(resource)
      .filter((uri) => JP_CORE_1_1_SYSTEMS.includes(uri) || V2_NAMES_WITH_JP_SYSTEMS.some((name) => uri === `urn:tonet:v2-system:${name}`))
      .map((uri) => `${dataType} ${resource.resourceType}: ${uri}`)
  );
  expect(problems).toEqual([]);
});

test('the checks catch what they claim to (a lab result with a range, an Rp number under the 1.1 OID, a vital sign without its second category)', () => {
  const lab = mapped.find(([, resource]) => resource.meta?.profile?.[0]?.endsWith('JP_Observation_LabResult'))![1] as Record<string, any>;
  const valueRule = CONSTRAINTS.find((constraint) => constraint.profile === 'JP_Observation_LabResult' && constraint.rule.startsWith('value[x]'))!;
  expect(valueRule.check({ ...lab, valueQuantity: undefined, valueRange: { low: { value: 1 } } })).toMatch(/valueRange/);
  const request = mapped.find(([, resource]) => resource.resourceType === 'MedicationRequest')![1] as Record<string, any>;
  const sliceRule = CONSTRAINTS.find((constraint) => constraint.profile === 'JP_MedicationRequest' && constraint.rule.startsWith('identifier'))!;
  const oldRelease = { ...request, identifier: request.identifier.map((identifier: any) => (identifier.system.endsWith('Medication-RPGroupNumber') ? { ...identifier, system: 'urn:oid:1.2.392.100495.20.3.81' } : identifier)) };
  expect(sliceRule.check(oldRelease)).toMatch(/rpNumber/);
  const vital = mapped.find(([, resource]) => resource.meta?.profile?.[0]?.endsWith('JP_Observation_VitalSigns'))![1] as Record<string, any>;
  const failed = CONSTRAINTS.filter((constraint) => constraint.profile === 'JP_Observation_VitalSigns').filter((constraint) => constraint.check({ ...vital, category: [vital.category[0]], effectiveDateTime: undefined, effectiveInstant: '2011-12-20T09:00:00+09:00' }));
  expect(failed.map((constraint) => constraint.rule)).toEqual(['category[second] (required by the IG) from JP_ObservationVitalSignsCategory_CS', 'effective[x] only dateTime or Period']);
});
