/**
 * `_summary` and `_elements`: the subset of a resource a client asked for, marked SUBSETTED as the spec requires.
 */
import type { Resource } from '@medplum/fhirtypes';
import { summaryElementsOf } from '../core/definitions';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

function keep(resource: Resource, wanted: (key: string) => boolean): Resource {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (ALWAYS.has(key) || wanted(key)) out[key] = value;
  }
  const meta = { ...(resource.meta ?? {}), tag: [...(resource.meta?.tag ?? []), SUBSETTED] };
  return { ...out, meta } as Resource;
}

/** Element names match with or without a choice-type suffix (value → valueQuantity). */
function choiceMatch(names: ReadonlySet<string>, key: string): boolean {
  if (names.has(key)) return true;
  for (const name of names) if (key.startsWith(name) && /^[A-Z]/.test(key.slice(name.length))) return true;
  return false;
}

export function subsetResource(resource: Resource, summary?: string, elements?: string[]): Resource {
  if (elements?.length) {
    const names = new Set(elements.map((e) => e.replace(new RegExp(`^${resource.resourceType}\\.`), '')));
    return keep(resource, (key) => choiceMatch(names, key));
  }
  switch (summary) {
    case 'true':
      return keep(resource, (key) => choiceMatch(summaryElementsOf(resource.resourceType), key));
    case 'text':
      return keep(resource, (key) => key === 'text' || choiceMatch(summaryElementsOf(resource.resourceType), key) && isMandatoryTop(key));
    case 'data':
      return keep(resource, (key) => key !== 'text');
    default:
      return resource;
  }
}

/** _summary=text keeps text plus mandatory top-level elements; status is the common one. */
function isMandatoryTop(key: string): boolean {
  return key === 'status';
}
