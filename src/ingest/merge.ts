/**
 * What Tonet added to a facility's resource survives the facility's next update of it. The source's fields win;
 * what it could not know is kept:
 * - An ADT update (A08, ADT-00) rewrites the facility's Patient from the message, which knows nothing of the
 *   Patient.link that $link-card made there; dropping it would cut the resident's card link and, with it, the
 *   facility's access. Links it did not send are kept.
 * - An OMI^Z23 (実施通知 performed) order that arrives after the study's images rewrites the ImagingStudy
 *   they made (STOW-RS, `tonet import dicom`), keyed by the same Study Instance UID. The order knows nothing of
 *   the series and instances; they are kept, with their modalities, the identifiers the images brought and
 *   the images' description and start time where the order has none.
 * - An ADT message after the admission (A02 transfer, A03 discharge, A54 attending-doctor change and their
 *   cancels) rewrites the stay's Encounter from what it carries; JAHIS sends the admission time (PV1-44) in A01
 *   only, and an A54 names only the attending doctor. The admission time is kept where the message has none, and
 *   the participants of a kind (ATND, ADM) it does not name; a kind it names is replaced, so A55 writes back the
 *   doctor before the change.
 */
import type { Bundle, BundleEntry, Coding, Encounter, EncounterParticipant, Identifier, ImagingStudy, Patient, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { Repository } from '../fhir/repository';

type Merge<T extends Resource> = (incoming: T, existing: T) => T;

const MERGES: { [type: string]: Merge<any> } = {
  Patient: keepLinks satisfies Merge<Patient>,
  ImagingStudy: keepImages satisfies Merge<ImagingStudy>,
  Encounter: keepStay satisfies Merge<Encounter>,
};

export async function keepTonetAdditions(repo: Repository, ctx: RequestContext, bundle: Bundle): Promise<Bundle> {
  const entry = await Promise.all((bundle.entry ?? []).map((e) => mergeEntry(repo, ctx, e)));
  return { ...bundle, entry };
}

async function mergeEntry(repo: Repository, ctx: RequestContext, e: BundleEntry): Promise<BundleEntry> {
  const type = e.resource?.resourceType ?? '';
  const merge = MERGES[type];
  const url = e.request?.url ?? '';
  if (!merge || e.request?.method !== 'PUT' || !url.startsWith(`${type}?`)) return e;
  const matches = await repo.conditionalMatches(ctx, type, url.slice(type.length + 1));
  if (matches.length !== 1) return e;
  return { ...e, resource: merge(e.resource, JSON.parse(matches[0].content)) };
}

function keepLinks(incoming: Patient, existing: Patient): Patient {
  const sent = new Set((incoming.link ?? []).map((l) => l.other?.reference));
  const kept = (existing.link ?? []).filter((l) => !sent.has(l.other?.reference));
  return kept.length ? { ...incoming, link: [...(incoming.link ?? []), ...kept] } : incoming;
}

function keepImages(incoming: ImagingStudy, existing: ImagingStudy): ImagingStudy {
  const series = incoming.series ?? existing.series;
  if (!series?.length) return incoming;
  const identifierKey = (i: Identifier) => `${i.system ?? ''}|${i.value ?? ''}|${i.type?.coding?.map((c) => c.code).join(',') ?? ''}`;
  const sentIdentifiers = new Set((incoming.identifier ?? []).map(identifierKey));
  const identifier = [...(incoming.identifier ?? []), ...(existing.identifier ?? []).filter((i) => !sentIdentifiers.has(identifierKey(i)))];
  const started = incoming.started ?? existing.started;
  const description = incoming.description ?? existing.description;
  return {
    ...incoming,
    ...(identifier.length ? { identifier } : {}),
    modality: distinctCodings([...(incoming.modality ?? []), ...series.flatMap((s) => (s.modality ? [s.modality] : []))]),
    ...(started ? { started } : {}),
    numberOfSeries: series.length,
    numberOfInstances: series.reduce((count, s) => count + (s.instance?.length ?? 0), 0),
    ...(description ? { description } : {}),
    series,
  };
}

/** The source's codings first, in its order, then those only the images name. */
function distinctCodings(codings: Coding[]): Coding[] {
  const byKey = new Map<string, Coding>();
  for (const coding of codings) {
    const key = `${coding.system ?? ''}|${coding.code ?? ''}`;
    if (!byKey.has(key)) byKey.set(key, coding);
  }
  return [...byKey.values()];
}

function keepStay(incoming: Encounter, existing: Encounter): Encounter {
  const kind = (participant: EncounterParticipant) => participant.type?.[0]?.coding?.[0]?.code ?? '';
  const sent = new Set((incoming.participant ?? []).map(kind));
  const participant = [...(incoming.participant ?? []), ...(existing.participant ?? []).filter((p) => !sent.has(kind(p)))];
  const start = incoming.period?.start ?? existing.period?.start;
  return {
    ...incoming,
    ...(start ? { period: { ...incoming.period, start } } : {}),
    ...(participant.length ? { participant } : {}),
  };
}
