/**
 * QIDO-RS search for a DICOMweb viewer: studies, a study's series and a series' instances, answered as DICOM
 * JSON from the ImagingStudy resources the caller may read (the repository search carries the consent
 * predicate, so a study outside consent is simply not found). Matching on StudyInstanceUID, StudyDate and
 * ModalitiesInStudy, mapped to the ImagingStudy search parameters; each search is audited like a FHIR search.
 */
import type { ImagingStudy, ImagingStudySeries } from '@medplum/fhirtypes';
import { patientsOf } from '../core/compartments';
import type { AuditTrail } from '../audit/types';
import type { RequestContext } from '../core/context';
import { badRequest } from '../core/errors';
import type { Repository } from '../fhir/repository';
import { parseQuery, Query } from '../fhir/router';
import { JP_IDENTIFIER } from '../mapping/hl7v2/identity';

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
    return studies.filter((study) => checks.every((check) => check(study))).map((study) => this.studyAttributes(study));
  }

  async series(ctx: RequestContext, studyUid: string): Promise<DicomJson[]> {
    const [study] = await this.find(ctx, { identifier: `${JP_IDENTIFIER.dicomUid}|urn:oid:${studyUid}` }, `QIDO-RS GET studies/${studyUid}/series`);
    return (study?.series ?? []).map((series) => ({
      ...this.studyKey(studyUid),
      '0020000E': { vr: 'UI', Value: [series.uid] },
      '00080060': { vr: 'CS', Value: [series.modality?.code ?? ''] },
      ...(series.number !== undefined ? { '00200011': { vr: 'IS', Value: [series.number] } } : {}),
      ...(series.description ? { '0008103E': { vr: 'LO', Value: [series.description] } } : {}),
      '00201209': { vr: 'IS', Value: [series.instance?.length ?? 0] },
      '00081190': { vr: 'UR', Value: [`${this.dicomwebBase}/studies/${studyUid}/series/${series.uid}`] },
    }));
  }

  async instances(ctx: RequestContext, studyUid: string, seriesUid: string): Promise<DicomJson[]> {
    const [study] = await this.find(ctx, { identifier: `${JP_IDENTIFIER.dicomUid}|urn:oid:${studyUid}` }, `QIDO-RS GET studies/${studyUid}/series/${seriesUid}/instances`);
    const series: ImagingStudySeries | undefined = study?.series?.find((s) => s.uid === seriesUid);
    return (series?.instance ?? []).map((instance) => ({
      ...this.studyKey(studyUid),
      '0020000E': { vr: 'UI', Value: [seriesUid] },
      '00080016': { vr: 'UI', Value: [instance.sopClass?.code?.replace(/^urn:oid:/, '') ?? ''] },
      '00080018': { vr: 'UI', Value: [instance.uid] },
      ...(instance.number !== undefined ? { '00200013': { vr: 'IS', Value: [instance.number] } } : {}),
      '00081190': { vr: 'UR', Value: [`${this.dicomwebBase}/studies/${studyUid}/series/${seriesUid}/instances/${instance.uid}`] },
    }));
  }

  private async find(ctx: RequestContext, query: Query, description: string): Promise<ImagingStudy[]> {
    const page = await this.repo.search(ctx, { ...parseQuery('ImagingStudy', query), total: 'none' });
    const studies = page.matches.map((m) => JSON.parse(m.content) as ImagingStudy);
    await this.audit.append({
      ctx,
      action: 'search',
      patientIds: [...new Set(studies.flatMap((s) => patientsOf(s)))],
      entities: studies.map((s) => `ImagingStudy/${s.id}`),
      outcome: '0',
      description,
      remoteAddress: ctx.remoteAddress,
    });
    return studies;
  }

  private studyKey(studyUid: string): DicomJson {
    return { '0020000D': { vr: 'UI', Value: [studyUid] } };
  }

  private studyAttributes(study: ImagingStudy): DicomJson {
    const uid = study.identifier?.find((i) => i.system === JP_IDENTIFIER.dicomUid)?.value?.replace(/^urn:oid:/, '') ?? '';
    return {
      ...this.studyKey(uid),
      ...(study.started ? { '00080020': { vr: 'DA', Value: [study.started.slice(0, 10).replace(/-/g, '')] } } : {}),
      ...(study.description ? { '00081030': { vr: 'LO', Value: [study.description] } } : {}),
      '00080061': { vr: 'CS', Value: (study.modality ?? []).map((m) => m.code ?? '') },
      '00201206': { vr: 'IS', Value: [study.numberOfSeries ?? study.series?.length ?? 0] },
      '00201208': { vr: 'IS', Value: [study.numberOfInstances ?? 0] },
      '00081190': { vr: 'UR', Value: [`${this.dicomwebBase}/studies/${uid}`] },
    };
  }
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
