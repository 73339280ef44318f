/**
 * Collects the resources of one document bundle. Each resource gets a name-based id from the document identity
 * and a key (its identifiers, or its name), so the same practitioner named as author and legal authenticator
 * becomes one entry, and a re-sent document yields the same fullUrls.
 */
import type { BundleEntry, Identifier, Reference, Resource } from '@medplum/fhirtypes';
import { uuidV5 } from '../common/ids';

/** RFC 9562 Appendix C "URL" namespace: the names hashed here are URIs (the document's `urn:oid:…` identity). */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * Document bundle order (JP_Bundle_eReferral, JP_Bundle_eDischargeSummary): Composition, Patient, Practitioner,
 * Organization, the visits (Encounter), then clinical entries in the IG's order.
 */
const ENTRY_ORDER = [
  'Composition',
  'Patient',
  'Practitioner',
  'Organization',
  'Encounter',
  'Condition',
  'AllergyIntolerance',
  'Observation',
  'Immunization',
  'Procedure',
  'MedicationRequest',
];

export interface EntryCollector {
  /** Adds the resource unless one with the same key is there; returns a reference to the entry either way. */
  add<T extends Resource>(resource: T, key: string): Reference<T>;
  entries(): BundleEntry[];
}

export function createEntryCollector(documentUri: string): EntryCollector {
  const byFullUrl = new Map<string, BundleEntry>();
  return {
    add<T extends Resource>(resource: T, key: string): Reference<T> {
      const id = uuidV5(`${documentUri}#${resource.resourceType}/${key}`, URL_NAMESPACE);
      const fullUrl = `urn:uuid:${id}`;
      if (!byFullUrl.has(fullUrl)) {
        const { resourceType, ...content } = resource;
        byFullUrl.set(fullUrl, { fullUrl, resource: { resourceType, id, ...content } as Resource });
      }
      return { reference: fullUrl, type: resource.resourceType };
    },
    entries() {
      const rank = (entry: BundleEntry): number => ENTRY_ORDER.indexOf(entry.resource?.resourceType ?? '');
      return [...byFullUrl.values()].sort((a, b) => rank(a) - rank(b));
    },
  };
}

/** A stable key from identifiers (order-independent), falling back to a name. */
export function identityKey(identifiers: Identifier[] | undefined, fallback: string): string {
  const keys = (identifiers ?? []).map((identifier) => `${identifier.system ?? ''}|${identifier.value ?? ''}`).sort();
  return keys.length > 0 ? keys.join(',') : `name:${fallback}`;
}
