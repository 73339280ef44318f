/**
 * The patients a resource is about, from the R4 Patient CompartmentDefinition alone: for each type, the
 * reference parameters the definition names, read along their search-parameter paths. The store files a
 * resource in these compartments, consent decides on them, and every AuditEvent names them, so what a
 * resident's access log shows and what consent shares are the same patients.
 */
import type { Resource } from '@medplum/fhirtypes';
import { branchesFor, patientCompartmentParams, searchParameterOf } from './definitions';
import { parseLocalReference } from './references';

/** meta.extension naming the patient of a resource outside the compartment definition (a stored document Bundle). */
export const COMPARTMENT_EXTENSION = 'urn:tonet:extension:patient-compartment';

/** `Flag.subject.where(resolve() is Patient)`: the path, and the type the reference must point at. */
const RESOLVE_IS = /^(.+)\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\)$/;
const PLAIN_PATH = /^[A-Z][A-Za-z]+(?:\.[a-z][A-Za-z0-9]*)+$/;

/** Each compartment parameter's path of a type, as element names below the resource. */
const pathsByType = new Map<string, string[][]>();

/**
 * Every R4 compartment parameter is a plain path, optionally filtered to a target type; one that is not
 * would need FHIRPath, so it fails here at once rather than leaving its patients out.
 */
export function patientCompartmentPaths(resourceType: string): string[][] {
  let paths = pathsByType.get(resourceType);
  if (paths) return paths;
  const seen = new Set<string>();
  paths = [];
  for (const code of patientCompartmentParams(resourceType)) {
    const expression = searchParameterOf(resourceType, code)?.expression;
    if (!expression) throw new Error(`Patient compartment parameter ${resourceType}.${code} has no search parameter definition`);
    for (const branch of branchesFor(resourceType, expression)) {
      const filtered = RESOLVE_IS.exec(branch);
      if (filtered && filtered[2] !== 'Patient') continue;
      const path = filtered ? filtered[1] : branch;
      if (!PLAIN_PATH.test(path)) throw new Error(`Patient compartment parameter ${resourceType}.${code} is not a plain path: ${branch}`);
      if (seen.has(path)) continue;
      seen.add(path);
      paths.push(path.split('.').slice(1));
    }
  }
  pathsByType.set(resourceType, paths);
  return paths;
}

/** The ids of the Patients whose compartment holds this resource (a Patient is in its own, and its links'). */
export function patientsOf(resource: Resource): string[] {
  const ids = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) ids.add(resource.id);
  for (const path of patientCompartmentPaths(resource.resourceType)) {
    for (const value of valuesAt(resource, path)) {
      const reference = (value as { reference?: unknown } | undefined)?.reference;
      const local = typeof reference === 'string' ? parseLocalReference(reference) : undefined;
      if (local?.type === 'Patient') ids.add(local.id);
    }
  }
  for (const ext of resource.meta?.extension ?? []) {
    const local = ext.url === COMPARTMENT_EXTENSION ? parseLocalReference(ext.valueReference?.reference ?? '') : undefined;
    if (local?.type === 'Patient') ids.add(local.id);
  }
  return [...ids];
}

/** The values along a path of element names, arrays flattened at every step. */
function valuesAt(resource: Resource, path: string[]): unknown[] {
  let values: unknown[] = [resource];
  for (const element of path) {
    const next: unknown[] = [];
    for (const value of values) {
      const child = value && typeof value === 'object' ? (value as Record<string, unknown>)[element] : undefined;
      if (Array.isArray(child)) next.push(...child);
      else if (child !== undefined) next.push(child);
    }
    if (!next.length) return next;
    values = next;
  }
  return values;
}
