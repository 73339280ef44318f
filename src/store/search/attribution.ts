/**
 * Patients a resource names in ways its search rows cannot turn into a Patient id: a contained Patient, a
 * reference by identifier only, or the patient of what it carries (the entries of a Bundle, the resource a
 * Binary is the content of, a CDA letter's recordTarget). Each is a claim; the store resolves the claims when it
 * writes the resource (store.ts), so the resource is filed in its patient's compartment and consent shares or
 * hides it like any other. What cannot be resolved stays its source's alone (see access policy, directory data).
 */
import type { Patient, Resource } from '@medplum/fhirtypes';
import { parseLocalReference } from '../../core/references';
import { patientCompartmentParams } from '../../core/definitions';
import { patientsOf } from '../../core/compartments';
import { compiledParams } from './extract';
import { layoutOf } from './layout';

export interface PatientIdentifier {
  system: string;
  value: string;
}

export interface PatientClaims {
  /** Patient ids named by what the resource carries (a Bundle's entries). */
  ids: string[];
  /** Patients named by an identifier: a reference without `reference`, a contained Patient, a CDA recordTarget. */
  identifiers: PatientIdentifier[];
  /** Stored resources whose patients this one shares (a Binary's securityContext). */
  contexts: { type: string; id: string }[];
}

/** How deep containers are opened (a Bundle in a Bundle in a Bundle is not followed further). */
const MAX_DEPTH = 3;

export function patientClaimsOf(resource: Resource, depth = 0): PatientClaims {
  const claims: PatientClaims = { ids: [], identifiers: [], contexts: [] };
  const contained = new Map(((resource as { contained?: Resource[] }).contained ?? []).map((r) => [`#${r.id}`, r]));
  for (const ref of compartmentReferences(resource)) {
    const inline = typeof ref.reference === 'string' ? contained.get(ref.reference) : undefined;
    if (inline?.resourceType === 'Patient') claims.identifiers.push(...identifiersOf(inline));
    else if (ref.reference === undefined && (ref.type === undefined || ref.type === 'Patient')) claims.identifiers.push(...identifiersOf({ identifier: [ref.identifier] }));
  }
  if (depth < MAX_DEPTH) {
    if (resource.resourceType === 'Bundle') addBundle(claims, resource, depth);
    if (resource.resourceType === 'Binary') {
      const context = parseLocalReference(resource.securityContext?.reference ?? '');
      if (context) claims.contexts.push({ type: context.type, id: context.id });
      claims.identifiers.push(...cdaRecordTargets(resource.contentType, resource.data));
    }
    if (resource.resourceType === 'DocumentReference') {
      for (const content of resource.content ?? []) claims.identifiers.push(...cdaRecordTargets(content.attachment?.contentType, content.attachment?.data));
    }
  }
  return claims;
}

export function hasClaims(claims: PatientClaims): boolean {
  return claims.ids.length > 0 || claims.identifiers.length > 0 || claims.contexts.length > 0;
}

interface ReferenceLike {
  reference?: string;
  type?: string;
  identifier?: { system?: string; value?: string };
}

/** The Reference values under the elements the type's Patient-compartment parameters read. */
function compartmentReferences(resource: Resource): ReferenceLike[] {
  const codes = new Set(patientCompartmentParams(resource.resourceType).flatMap((p) => layoutOf(resource.resourceType, p)?.codes ?? []));
  const elements = new Set(compiledParams(resource.resourceType).filter((p) => codes.has(p.code)).flatMap((p) => p.branches.map((b) => b.element)));
  const found: ReferenceLike[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const v = value as ReferenceLike & { resourceType?: string };
      if (v.resourceType) return;
      if (typeof v.reference === 'string' || (v.identifier && typeof v.identifier === 'object' && !Array.isArray(v.identifier))) found.push(v);
      Object.values(value).forEach(walk);
    }
  };
  const fields = resource as unknown as Record<string, unknown>;
  for (const element of elements) if (element) walk(fields[element]);
  return found;
}

function identifiersOf(patient: { identifier?: ({ system?: string; value?: string } | undefined)[] }): PatientIdentifier[] {
  return (patient.identifier ?? []).flatMap((i) => (i?.system && i.value ? [{ system: i.system, value: i.value }] : []));
}

/** A Bundle's entries: the patients each names, and Patients carried in the Bundle itself, by their identifiers. */
function addBundle(claims: PatientClaims, bundle: Resource & { entry?: { fullUrl?: string; resource?: Resource }[] }, depth: number): void {
  const carriedPatients = new Map<string, Resource>();
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.resourceType === 'Patient' && entry.fullUrl) carriedPatients.set(entry.fullUrl, entry.resource);
  }
  for (const entry of bundle.entry ?? []) {
    const inner = entry.resource;
    if (!inner?.resourceType) continue;
    if (inner.resourceType === 'Patient') {
      claims.identifiers.push(...identifiersOf(inner));
      continue;
    }
    claims.ids.push(...patientsOf(inner));
    for (const ref of compartmentReferences(inner)) {
      const carried = ref.reference ? carriedPatients.get(ref.reference) : undefined;
      if (carried) claims.identifiers.push(...identifiersOf(carried as Patient));
    }
    const nested = patientClaimsOf(inner, depth + 1);
    claims.ids.push(...nested.ids);
    claims.identifiers.push(...nested.identifiers);
    claims.contexts.push(...nested.contexts);
  }
}

/** Larger letters are not opened: a CDA document's header, where recordTarget is, comes first. */
const CDA_HEADER_BYTES = 64 * 1024;
const RECORD_TARGET = /<(?:\w+:)?recordTarget\b[\s\S]*?<(?:\w+:)?patientRole\b[\s\S]*?<\/(?:\w+:)?patientRole>/;
const ID_ELEMENT = /<(?:\w+:)?id\b([^>]*)\/?>/g;

/**
 * The patient ids of a CDA R2 letter carried as base64 data (recordTarget/patientRole/id: root OID and
 * extension), as identifiers in the form JP Core gives them (`urn:oid:<root>`).
 */
function cdaRecordTargets(contentType: string | undefined, data: string | undefined): PatientIdentifier[] {
  if (!data || !contentType || !/xml|cda/i.test(contentType)) return [];
  const head = Buffer.from(data.slice(0, Math.ceil((CDA_HEADER_BYTES * 4) / 3)), 'base64').toString('utf8');
  // The role's own ids come before the patient and the provider organisation, whose ids name others.
  const role = RECORD_TARGET.exec(head)?.[0].split(/<(?:\w+:)?(?:patient|providerOrganization)\b/)[0];
  if (!role) return [];
  const ids: PatientIdentifier[] = [];
  for (const m of role.matchAll(ID_ELEMENT)) {
    const root = /\broot="([0-9.]+)"/.exec(m[1])?.[1];
    const extension = /\bextension="([^"]+)"/.exec(m[1])?.[1];
    if (root && extension) ids.push({ system: `urn:oid:${root}`, value: extension });
  }
  return ids;
}
