/**
 * QIDO-RS search for a DICOMweb viewer: studies, a study's series and a series' instances, answered as DICOM
 * JSON under the decision WADO-RS retrieval takes: from the ImagingStudy resources the caller may read (the
 * repository search carries the consent predicate, so a study outside consent is simply not found), and of
 * each only the instances that the facility which stored it sent, so every instance listed can be retrieved
 * and an ImagingStudy that only quotes a Study UID (an order's, another facility's) lists nothing. Matching on
 * StudyInstanceUID, StudyDate and ModalitiesInStudy, mapped to the ImagingStudy search parameters; each search
 * is audited like a FHIR search.
 */
import type { ImagingStudy } from '@medplum/fhirtypes';
import { patientsOf } from '../core/compartments';
import type { AuditTrail } from '../audit/types';
import type { RequestContext } from '../core/context';
import { badRequest } from '../core/errors';
import type { Repository } from '../fhir/repository';
import { parseQuery, Query } from '../fhir/router';
import { JP_IDENTIFIER } from '../mapping/hl7v2/identity';
import type { DicomInstances, StoredInstance } from '../store/dicom-instances';

/** An ImagingStudy the caller may read, with the instances its own facility sent. */
interface HeldStudy {
  study: ImagingStudy;
  uid: string;
  instances: StoredInstance[];
}

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

/**
 * QIDO-RS query keys → ImagingStudy search parameters. StudyDate is the study's own local date, as `started`
 * writes it with its own offset, while a FHIR date search reads days in Japan time: the search takes a day
 * either side and `keep` then checks the study's own date.
 */
const STUDY_KEYS: Record<string, { search: (value: string) => [string, string | string[]]; keep?: (study: ImagingStudy, value: string) => boolean }> = {
  StudyInstanceUID: { search: (uid) => ['identifier', `${JP_IDENTIFIER.dicomUid}|urn:oid:${uid}`] },
  StudyDate: {
    search: (value) => {
      const { from, to } = dicomDateRange(value);
      return ['started', [...(from ? [`ge${shiftDay(from, -1)}`] : []), ...(to ? [`le${shiftDay(to, 1)}`] : [])]];
    },
    keep: (study, value) => {
      const { from, to } = dicomDateRange(value);
      const own = study.started?.slice(0, 10);
      return !!own && (!from || own >= from) && (!to || own <= to);
    },
  },
  ModalitiesInStudy: { search: (modality) => ['modality', modality] },
};

const MAX_STUDIES = 100;

export class QidoService {
  constructor(
    private readonly repo: Repository,
    private readonly stored: DicomInstances,
    private readonly audit: AuditTrail,
    private readonly dicomwebBase: string
  ) {}

  async studies(ctx: RequestContext, query: Record<string, string | undefined>): Promise<DicomJson[]> {
    const search: Query = { _count: String(Math.min(Number(query.limit) || MAX_STUDIES, MAX_STUDIES)) };
    const checks: ((study: ImagingStudy) => boolean)[] = [];
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || key === 'limit' || key === 'offset' || key === 'includefield' || key === 'fuzzymatching') continue;
      const mapping = STUDY_KEYS[key];
      if (!mapping) throw badRequest(`QIDO-RS matches on ${Object.keys(STUDY_KEYS).join(', ')}, not "${key}"`, [key]);
      const [name, fhirValue] = mapping.search(value);
      search[name] = fhirValue;
      if (mapping.keep) checks.push((study) => (mapping.keep as NonNullable<typeof mapping.keep>)(study, value));
    }
    const studies = await this.find(ctx, search, 'QIDO-RS GET studies');
    return studies.filter(({ study }) => checks.every((check) => check(study))).map((held) => this.studyAttributes(held));
  }

  async series(ctx: RequestContext, studyUid: string): Promise<DicomJson[]> {
    const [held] = await this.find(ctx, { identifier: `${JP_IDENTIFIER.dicomUid}|urn:oid:${studyUid}` }, `QIDO-RS GET studies/${studyUid}/series`);
    return (held?.study.series ?? []).flatMap((series) => {
      const count = held.instances.filter((i) => i.seriesInstanceUid === series.uid).length;
      if (!count) return [];
      return [{
        ...this.studyKey(studyUid),
        '0020000E': { vr: 'UI', Value: [series.uid] },
        '00080060': { vr: 'CS', Value: [series.modality?.code ?? ''] },
        ...(series.number !== undefined ? { '00200011': { vr: 'IS', Value: [series.number] } } : {}),
        ...(series.description ? { '0008103E': { vr: 'LO', Value: [series.description] } } : {}),
        '00201209': { vr: 'IS', Value: [count] },
        '00081190': { vr: 'UR', Value: [`${this.dicomwebBase}/studies/${studyUid}/series/${series.uid}`] },
      }];
    });
  }

  async instances(ctx: RequestContext, studyUid: string, seriesUid: string): Promise<DicomJson[]> {
    const [held] = await this.find(ctx, { identifier: `${JP_IDENTIFIER.dicomUid}|urn:oid:${studyUid}` }, `QIDO-RS GET studies/${studyUid}/series/${seriesUid}/instances`);
    const sent = new Set(held?.instances.filter((i) => i.seriesInstanceUid === seriesUid).map((i) => i.sopInstanceUid));
    const series = held?.study.series?.find((s) => s.uid === seriesUid);
    return (series?.instance ?? []).filter((instance) => sent.has(instance.uid)).map((instance) => ({
      ...this.studyKey(studyUid),
      '0020000E': { vr: 'UI', Value: [seriesUid] },
      '00080016': { vr: 'UI', Value: [instance.sopClass?.code?.replace(/^urn:oid:/, '') ?? ''] },
      '00080018': { vr: 'UI', Value: [instance.uid] },
      ...(instance.number !== undefined ? { '00200013': { vr: 'IS', Value: [instance.number] } } : {}),
      '00081190': { vr: 'UR', Value: [`${this.dicomwebBase}/studies/${studyUid}/series/${seriesUid}/instances/${instance.uid}`] },
    }));
  }

  /** The readable ImagingStudies that match, each with the instances its own facility sent; those with none are left out. */
  private async find(ctx: RequestContext, query: Query, description: string): Promise<HeldStudy[]> {
    const page = await this.repo.search(ctx, { ...parseQuery('ImagingStudy', query), total: 'none' });
    const studies = page.matches.map((m) => JSON.parse(m.content) as ImagingStudy).map((study) => ({ study, uid: studyUidOf(study), facility: study.meta?.source ?? '' }));
    const sent = await this.stored.sentBy(studies.filter((s) => s.uid && s.facility).map((s) => ({ facility: s.facility, studyInstanceUid: s.uid })));
    const held = studies
      .map(({ study, uid, facility }) => ({ study, uid, instances: sent.filter((i) => i.facility === facility && i.studyInstanceUid === uid) }))
      .filter((h) => h.instances.length);
    await this.audit.append({
      ctx,
      action: 'search',
      patientIds: [...new Set(held.flatMap((h) => patientsOf(h.study)))],
      entities: held.map((h) => `ImagingStudy/${h.study.id}`),
      outcome: '0',
      description,
      remoteAddress: ctx.remoteAddress,
    });
    return held;
  }

  private studyKey(studyUid: string): DicomJson {
    return { '0020000D': { vr: 'UI', Value: [studyUid] } };
  }

  private studyAttributes({ study, uid, instances }: HeldStudy): DicomJson {
    return {
      ...this.studyKey(uid),
      ...(study.started ? { '00080020': { vr: 'DA', Value: [study.started.slice(0, 10).replace(/-/g, '')] } } : {}),
      ...(study.description ? { '00081030': { vr: 'LO', Value: [study.description] } } : {}),
      '00080061': { vr: 'CS', Value: (study.modality ?? []).map((m) => m.code ?? '') },
      '00201206': { vr: 'IS', Value: [new Set(instances.map((i) => i.seriesInstanceUid)).size] },
      '00201208': { vr: 'IS', Value: [instances.length] },
      '00081190': { vr: 'UR', Value: [`${this.dicomwebBase}/studies/${uid}`] },
    };
  }
}

function studyUidOf(study: ImagingStudy): string {
  return study.identifier?.find((i) => i.system === JP_IDENTIFIER.dicomUid)?.value?.replace(/^urn:oid:/, '') ?? '';
}

/** DICOM DA or DA-DA range (20240101, 20240101-20240131, 20240101-, -20240131) → ISO dates of its ends. */
function dicomDateRange(value: string): { from?: string; to?: string } {
  const day = (da: string) => {
    if (!/^\d{8}$/.test(da)) throw badRequest(`StudyDate must be YYYYMMDD or a YYYYMMDD-YYYYMMDD range, got "${value}"`, ['StudyDate']);
    return `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}`;
  };
  if (!value.includes('-')) return { from: day(value), to: day(value) };
  const [from, to] = value.split('-');
  return { ...(from ? { from: day(from) } : {}), ...(to ? { to: day(to) } : {}) };
}

function shiftDay(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
