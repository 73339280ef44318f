/**
 * Whose data a set of resources is, for their audit entry: the patients the Patient compartment's own
 * definition finds in their JSON (core/compartments.ts), and, for a resource that names its patient
 * otherwise than by reference (by identifier, a contained Patient, inside a Bundle, a Binary's security
 * context, a CDA letter's record target), the patients the store placed it under when it was written — one
 * query, made only when such a resource is among them.
 */
import type { Resource } from '@medplum/fhirtypes';
import { patientCompartmentParams } from '../core/definitions';
import { patientsOf } from '../core/compartments';

/** The Patient compartments the store placed these resources in (store/compartments.ts, bound to a database). */
export type StoredCompartments = (resources: readonly { resourceType: string; id: string }[]) => Promise<string[]>;

export async function patientsSeen(stored: StoredCompartments, resources: readonly Resource[]): Promise<string[]> {
  const found = resources.map((resource) => ({ resource, patients: patientsOf(resource) }));
  const named = found.flatMap((f) => f.patients);
  const unnamed = found.filter((f) => f.patients.length === 0 && f.resource.id && f.resource.resourceType && mayNameOtherwise(f.resource.resourceType)).map((f) => f.resource);
  if (!unnamed.length) return [...new Set(named)];
  const placed = await stored(unnamed.map((r) => ({ resourceType: r.resourceType, id: r.id as string })));
  return [...new Set([...named, ...placed])];
}

/** The types whose resources may name their patient otherwise than by reference: the Patient compartment's, and those that carry other content. */
function mayNameOtherwise(type: string): boolean {
  return type === 'Binary' || type === 'Bundle' || (type !== 'Patient' && patientCompartmentParams(type).length > 0);
}
