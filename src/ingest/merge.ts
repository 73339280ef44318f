/**
 * What Tonet added to a facility's resource survives the facility's next update of it. An ADT update (A08,
 * ADT-00) rewrites the facility's Patient from the message, which knows nothing of the Patient.link that
 * $link-card made there; dropping it would cut the resident's card link and, with it, the facility's access.
 * The source's fields win; links it did not send are kept.
 */
import type { Bundle, Patient } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { Repository } from '../fhir/repository';

export async function keepTonetAdditions(repo: Repository, ctx: RequestContext, bundle: Bundle): Promise<Bundle> {
  const entry = await Promise.all(
    (bundle.entry ?? []).map(async (e) => {
      const url = e.request?.url ?? '';
      if (e.request?.method !== 'PUT' || e.resource?.resourceType !== 'Patient' || !url.startsWith('Patient?')) return e;
      const matches = await repo.conditionalMatches(ctx, 'Patient', url.slice('Patient?'.length));
      if (matches.length !== 1) return e;
      const incoming = e.resource as Patient;
      const existing = JSON.parse(matches[0].content) as Patient;
      const sent = new Set((incoming.link ?? []).map((l) => l.other?.reference));
      const kept = (existing.link ?? []).filter((l) => !sent.has(l.other?.reference));
      return kept.length ? { ...e, resource: { ...incoming, link: [...(incoming.link ?? []), ...kept] } } : e;
    })
  );
  return { ...bundle, entry };
}
