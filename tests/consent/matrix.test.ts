/**
 * The consent matrix: every read path × every viewer, over a region whose patients stand in each consent
 * state (none, linked, revoked, withdrawn, emergency). What each viewer may see is computed from the rules
 * (who supplied a version, which Patients it is about, which Consents are active), never written down; every
 * answer is then checked for exactly that set — bodies, totals, every page of `next`, includes — and for
 * the absence of any hidden resource's id anywhere in the text, including error bodies and paging links.
 * A hidden single resource must answer exactly as an absent one does. Adding a read path adds a row to
 * READ_PATHS; adding a viewer adds one to the world.
 */
import type { Resource } from '@medplum/fhirtypes';
import { CT } from '../dicomweb/support';
import { ANALYTE_CODES, buildWorld, PROBE_CODE, Rules, Version, Viewer, World, Answer, patientsOf, snapshot } from './matrix-world';

let world: World;
let rules: Rules;

beforeAll(async () => {
  world = await buildWorld();
  rules = new Rules(world.versions);
});
afterAll(async () => world?.server.close());

const ABSENT_ID = 'a0000000-0000-4000-8000-000000000000';
const key = (v: { type: string; id: string }) => `${v.type}/${v.id}`;
const versionKey = (v: Version) => `${v.type}/${v.id}/_history/${v.versionId}`;

interface Request {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/** What a request should answer for one viewer. */
type Expectation =
  /** One resource, found by `pick` in the answer (the body itself by default). */
  | { kind: 'single'; status: 200 | 410; id: string; pick?: (body: any) => { id?: string } | undefined }
  | { kind: 'bundle'; matches: string[]; includes?: string[]; history?: boolean; summaryCount?: boolean }
  /** `mayHold`: ids hidden from the viewer's reads that this answer may hold all the same (a resident's own disclosure copy). */
  | { kind: 'status'; status: number; mayHold?: string[] }
  /** A batch: each entry is a resource, or answers as the entry about an absent id does. */
  | { kind: 'batch'; entries: ({ status: string; id?: string } | { asEntry: number; hiddenId: string })[] }
  /** Hidden: exactly what the same request answers about something that does not exist. */
  | { kind: 'as-absent'; absent: Request; hiddenId: string };

interface Case {
  label: string;
  request: Request;
  expect(viewer: Viewer): Expectation;
  /** What a researcher gets; 403 unless the path says otherwise. */
  researcher?: Expectation;
}

interface ReadPath {
  name: string;
  cases(rules: Rules): Case[];
}

const ids = (versions: Version[]) => versions.map(key);
/** Types read one by one in transactions and batches. */
const ENTRY_TYPES = ['Observation', 'Patient', 'Consent', 'MedicationRequest'];
const types = () => [...new Set(rules.currentOf().map((v) => v.type))].sort();
const refersTo = (resource: Resource, path: 'subject', patientIds: string[]) =>
  patientIds.some((p) => (resource as unknown as Record<string, { reference?: string }>)[path]?.reference === `Patient/${p}`);
const hasCode = (resource: Resource, code: string) => !!(resource as { code?: { coding?: { code?: string }[] } }).code?.coding?.some((c) => c.code === code);

/** A single resource: 200/410 when visible, otherwise the answer about an absent id. */
function single(version: Version, path: (id: string) => string, visible: (viewer: Viewer) => boolean, deleted: boolean): Case {
  return {
    label: versionKey(version),
    request: { path: path(version.id) },
    expect: (viewer) => (visible(viewer) ? { kind: 'single', status: deleted ? 410 : 200, id: version.id } : { kind: 'as-absent', absent: { path: path(ABSENT_ID) }, hiddenId: version.id }),
  };
}

/** The current versions a viewer may see among those that match. */
function search(label: string, path: string, matches: (v: Version, viewer: Viewer) => boolean, extra: Partial<Extract<Expectation, { kind: 'bundle' }>> = {}): Case {
  return { label, request: { path }, expect: (viewer) => ({ kind: 'bundle', matches: ids(rules.visibleCurrent(viewer).filter((v) => matches(v, viewer))), ...extra }) };
}

function history(label: string, path: string, of: (v: Version) => boolean): Case {
  return { label, request: { path }, expect: (viewer) => ({ kind: 'bundle', history: true, matches: world.versions.filter((v) => of(v) && rules.visibleTo(viewer, v)).map(versionKey) }) };
}

/** A patient-scoped bundle that is about a Patient the viewer may not see answers as for an absent Patient. */
function aboutPatient(patient: Version, path: (id: string) => string, inner: (viewer: Viewer) => Expectation): Case {
  return {
    label: key(patient),
    request: { path: path(patient.id) },
    expect: (viewer) => (rules.visibleTo(viewer, patient) ? inner(viewer) : { kind: 'as-absent', absent: { path: path(ABSENT_ID) }, hiddenId: patient.id }),
  };
}

const READ_PATHS: ReadPath[] = [
  {
    name: 'read',
    cases: (r) => r.versions.filter((v) => v.current).map((v) => single(v, (id) => `/fhir/${v.type}/${id}`, (viewer) => r.visibleTo(viewer, v), v.deleted)),
  },
  {
    // Resources with one version are read from resource_history by the instance-history row already.
    name: 'vread (resources with several versions)',
    cases: (r) => r.versions.filter((v) => r.versions.some((o) => o.type === v.type && o.id === v.id && o.versionId > 1)).map((v) => single(v, (id) => `/fhir/${v.type}/${id}/_history/${v.versionId}`, (viewer) => r.visibleTo(viewer, v), v.deleted)),
  },
  {
    name: 'history (instance)',
    cases: (r) =>
      r.versions
        .filter((v) => v.current)
        .map((v) => {
          const all = r.versions.filter((o) => o.type === v.type && o.id === v.id);
          const path = (id: string) => `/fhir/${v.type}/${id}/_history?_count=1`;
          return {
            label: key(v),
            request: { path: path(v.id) },
            expect: (viewer): Expectation => {
              const seen = all.filter((o) => r.visibleTo(viewer, o));
              return seen.length ? { kind: 'bundle', history: true, matches: seen.map(versionKey) } : { kind: 'as-absent', absent: { path: path(ABSENT_ID) }, hiddenId: v.id };
            },
          };
        }),
  },
  { name: 'history (type)', cases: () => types().map((t) => history(t, `/fhir/${t}/_history?_count=7`, (v) => v.type === t)) },
  { name: 'history (system)', cases: () => [history('all', '/fhir/_history?_count=25', () => true)] },
  { name: 'search (type)', cases: () => types().map((t) => search(t, `/fhir/${t}?_count=4`, (v) => v.type === t)) },
  { name: 'search _total=accurate', cases: () => ['Observation', 'Patient'].map((t) => search(t, `/fhir/${t}?_total=accurate&_count=2`, (v) => v.type === t)) },
  { name: 'search _summary=count', cases: () => types().map((t) => search(t, `/fhir/${t}?_summary=count`, (v) => v.type === t, { summaryCount: true })) },
  {
    name: 'search (system, _type)',
    cases: () => [search('Patient,Observation,Consent,MedicationRequest', '/fhir?_type=Patient,Observation,Consent,MedicationRequest&_count=6', (v) => ['Patient', 'Observation', 'Consent', 'MedicationRequest'].includes(v.type))],
  },
  {
    name: 'search Observation?subject= (regional Patient as hub)',
    cases: (r) => r.currentOf('Patient').map((p) => search(key(p), `/fhir/Observation?subject=Patient/${p.id}&_count=3`, (v) => v.type === 'Observation' && refersTo(v.content, 'subject', r.hub(p.id)))),
  },
  {
    name: 'search Consent?patient=',
    cases: (r) =>
      r.currentOf('Patient').map((p) =>
        search(key(p), `/fhir/Consent?patient=Patient/${p.id}`, (v) => v.type === 'Consent' && r.hub(p.id).some((id) => (v.content as { patient?: { reference?: string } }).patient?.reference === `Patient/${id}`))
      ),
  },
  {
    name: '_include=Observation:subject',
    cases: (r) => [
      {
        label: 'Observation',
        request: { path: '/fhir/Observation?_include=Observation:subject&_count=1000' },
        expect: (viewer) => {
          const matches = r.visibleCurrent(viewer, 'Observation');
          const subjects = new Set(matches.map((o) => (o.content as { subject?: { reference?: string } }).subject?.reference));
          return { kind: 'bundle', matches: ids(matches), includes: ids(r.visibleCurrent(viewer, 'Patient').filter((p) => subjects.has(key(p)))) };
        },
      },
    ],
  },
  {
    name: '_revinclude=Observation:subject, _revinclude:iterate=Provenance:target',
    cases: (r) => [
      {
        label: 'Patient',
        request: { path: '/fhir/Patient?_revinclude=Observation:subject&_revinclude:iterate=Provenance:target&_count=1000' },
        expect: (viewer) => {
          const patients = r.visibleCurrent(viewer, 'Patient');
          const refs = (list: Version[]) => new Set(list.map(key));
          // A regional Patient is the hub of its linked local records: what points at them is included with it.
          const patientRefs = new Set(patients.flatMap((p) => r.hub(p.id).map((id) => `Patient/${id}`)));
          const observations = r.visibleCurrent(viewer, 'Observation').filter((o) => patientRefs.has((o.content as { subject?: { reference?: string } }).subject?.reference ?? ''));
          // Provenance:target is iterated: from the Patients (first step) and from the Observations included.
          const targets = new Set([...patientRefs, ...refs(observations)]);
          const provenances = r.visibleCurrent(viewer, 'Provenance').filter((p) => (p.content as { target?: { reference?: string }[] }).target?.some((t) => targets.has(t.reference ?? '')));
          return { kind: 'bundle', matches: ids(patients), includes: [...ids(observations), ...ids(provenances)] };
        },
      },
    ],
  },
  {
    name: 'chain subject:Patient.family=',
    cases: (r) =>
      Object.values(world.residents).map((resident) =>
        search(resident.key, `/fhir/Observation?subject:Patient.family=${encodeURIComponent(resident.family)}`, (v, viewer) => {
          if (v.type !== 'Observation') return false;
          const subject = r.currentOf('Patient').find((p) => key(p) === (v.content as { subject?: { reference?: string } }).subject?.reference);
          return !!subject && r.visibleTo(viewer, subject) && !!(subject.content as { name?: { family?: string }[] }).name?.some((n) => n.family?.startsWith(resident.family));
        })
      ),
  },
  {
    name: '_has:Observation:subject:code=',
    cases: (r) =>
      [...ANALYTE_CODES, PROBE_CODE.code].map((code) =>
        search(code, `/fhir/Patient?_has:Observation:subject:code=${code}`, (v, viewer) =>
          v.type === 'Patient' && r.visibleCurrent(viewer, 'Observation').some((o) => hasCode(o.content, code) && refersTo(o.content, 'subject', r.hub(v.id)))
        )
      ),
  },
  {
    name: '$everything',
    cases: (r) =>
      r.currentOf('Patient').map((p) =>
        aboutPatient(p, (id) => `/fhir/Patient/${id}/$everything?_count=5`, (viewer) => ({
          kind: 'bundle',
          matches: ids(r.visibleCurrent(viewer).filter((v) => patientsOf(v.content).some((id) => r.hub(p.id).includes(id)))),
        }))
      ),
  },
  {
    name: 'transaction with a GET entry',
    cases: (r) =>
      r.versions
        .filter((v) => v.current && ENTRY_TYPES.includes(v.type))
        .map((v) => {
          const request = (id: string): Request => ({ method: 'POST', path: '/fhir', body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: `${v.type}/${id}` } }] } });
          return {
            label: key(v),
            request: request(v.id),
            expect: (viewer): Expectation =>
              r.visibleTo(viewer, v)
                ? { kind: 'single', status: v.deleted ? 410 : 200, id: v.id, pick: (body) => body.entry?.[0]?.resource }
                : { kind: 'as-absent', absent: request(ABSENT_ID), hiddenId: v.id },
          };
        }),
  },
  {
    name: 'batch of reads',
    cases: (r) => {
      const targets = r.versions.filter((v) => v.current && ENTRY_TYPES.includes(v.type));
      const absentAt = new Map(ENTRY_TYPES.map((t, i) => [t, targets.length + i]));
      const entries = [...targets.map((v) => `${v.type}/${v.id}`), ...ENTRY_TYPES.map((t) => `${t}/${ABSENT_ID}`)].map((url) => ({ request: { method: 'GET', url } }));
      const expectFor = (viewer: Viewer): Expectation => ({
        kind: 'batch',
        entries: [
          ...targets.map((v) =>
            viewer.role !== 'researcher' && r.visibleTo(viewer, v) ? (v.deleted ? { status: '410' } : { status: '200', id: v.id }) : { asEntry: absentAt.get(v.type) as number, hiddenId: v.id }
          ),
          ...ENTRY_TYPES.map(() => ({ status: viewer.role === 'researcher' ? '403' : '404' })),
        ],
      });
      const researcher = world.viewers.find((v) => v.role === 'researcher') as Viewer;
      return [{ label: 'all', request: { method: 'POST', path: '/fhir', body: { resourceType: 'Bundle', type: 'batch', entry: entries } }, expect: expectFor, researcher: expectFor(researcher) }];
    },
  },
  {
    name: 'WADO-RS instance',
    cases: (r) => {
      const study = r.currentOf('ImagingStudy')[0];
      const path = (sop: string) => `/dicomweb/studies/${CT.study}/series/${CT.series}/instances/${sop}`;
      const hidden: Expectation = { kind: 'as-absent', absent: { path: path(ABSENT_ID) }, hiddenId: CT.sop };
      return [{ label: CT.sop, request: { path: path(CT.sop) }, expect: (viewer) => (r.visibleTo(viewer, study) ? { kind: 'status', status: 200 } : hidden), researcher: hidden }];
    },
  },
  {
    name: '$disclosure (the network office, or the resident for their own regional record)',
    cases: (r) =>
      r.currentOf('Patient').map((p) => {
        // The copy holds everything about the resident, whatever the consents say: every facility's records of them too.
        const own = r.hub(p.id);
        const heldAbout = r.versions.filter((v) => patientsOf(v.content).some((id) => own.includes(id))).map((v) => v.id);
        return {
          label: key(p),
          request: { path: `/fhir/Patient/${p.id}/$disclosure` },
          expect: (viewer) => (viewer.role === 'admin' || (viewer.role === 'resident' && viewer.patient === `Patient/${p.id}`) ? { kind: 'status', status: 200, mayHold: heldAbout } : { kind: 'status', status: 403 }),
        };
      }),
  },
];

/** Ids of resources a viewer sees no version of, and that no visible content mentions: they must appear nowhere. */
function unmentionable(viewer: Viewer): string[] {
  const visibleText = world.versions.filter((v) => rules.visibleTo(viewer, v)).map((v) => JSON.stringify(v.content)).join('\n');
  const hidden = new Set(world.versions.filter((v) => !world.versions.some((o) => o.type === v.type && o.id === v.id && rules.visibleTo(viewer, o))).map((v) => v.id));
  return [...hidden].filter((id) => !visibleText.includes(id));
}

/** The text, with each paging cursor decoded too, so a cursor cannot smuggle a hidden row out. */
function withCursors(text: string): string {
  const cursors = [...text.matchAll(/_cursor=([A-Za-z0-9_\-%]+)/g)].map((m) => Buffer.from(decodeURIComponent(m[1]), 'base64url').toString('utf8'));
  return [text, ...cursors].join('\n');
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

const normalizeOutcome = (text: string, hiddenId: string) => text.split(hiddenId).join(ABSENT_ID).replace(/"id":"[^"]*"/g, '"id":"…"');

const absentAnswers = new Map<string, Promise<Answer>>();

function call(viewer: Viewer, request: Request): Promise<Answer> {
  return viewer.client.call(request.method ?? 'GET', request.path, request.body);
}

/** The answer about an absent id, asked once per viewer and request. */
function absentAnswer(viewer: Viewer, request: Request): Promise<Answer> {
  const cacheKey = `${viewer.name} ${request.method ?? 'GET'} ${request.path} ${JSON.stringify(request.body ?? null)}`;
  if (!absentAnswers.has(cacheKey)) absentAnswers.set(cacheKey, call(viewer, request));
  return absentAnswers.get(cacheKey) as Promise<Answer>;
}

/** Runs one request for one viewer and returns what was wrong with the answer (nothing, when it is right). */
async function check(viewer: Viewer, c: Case, secret: string[]): Promise<string[]> {
  const problems: string[] = [];
  const asked = `${c.request.path} ${JSON.stringify(c.request.body ?? '')}`;
  const where = `${viewer.name} ${c.request.method ?? 'GET'} ${c.request.path}${c.request.body ? ` (${c.label})` : ''}`;
  const expected = viewer.role === 'researcher' ? (c.researcher ?? { kind: 'status', status: 403 }) : c.expect(viewer);
  const mayHold = new Set(expected.kind === 'status' ? expected.mayHold ?? [] : []);
  const leakCheck = (answer: Answer) => {
    const text = withCursors(answer.text);
    // An id the caller sent may come back in its own request's echo (a self link, "X not found"); others may not.
    const leaked = secret.filter((id) => text.includes(id) && !asked.includes(id) && !mayHold.has(id));
    if (leaked.length) problems.push(`${where}: hidden ids in the answer: ${leaked.join(', ')}`);
  };
  if (expected.kind === 'as-absent') {
    const [hidden, absent] = [await call(viewer, c.request), await absentAnswer(viewer, expected.absent)];
    if (hidden.status !== absent.status || normalizeOutcome(hidden.text, expected.hiddenId) !== normalizeOutcome(absent.text, expected.hiddenId)) {
      problems.push(`${where}: hidden answers ${hidden.status} ${hidden.text.slice(0, 200)}; absent answers ${absent.status} ${absent.text.slice(0, 200)}`);
    }
    leakCheck(hidden);
    return problems;
  }
  if (expected.kind === 'status') {
    const answer = await call(viewer, c.request);
    if (answer.status !== expected.status) problems.push(`${where}: expected ${expected.status}, got ${answer.status} ${answer.text.slice(0, 200)}`);
    leakCheck(answer);
    return problems;
  }
  if (expected.kind === 'single') {
    const answer = await call(viewer, c.request);
    const resource = expected.pick ? expected.pick(answer.body) : answer.body;
    if (answer.status !== expected.status || (expected.status === 200 && resource?.id !== expected.id)) problems.push(`${where}: expected ${expected.status}, got ${answer.status} ${answer.text.slice(0, 200)}`);
    leakCheck(answer);
    return problems;
  }
  if (expected.kind === 'batch') {
    const answer = await call(viewer, c.request);
    leakCheck(answer);
    const entries = answer.body?.entry ?? [];
    // An entry's outcome names its position; two entries compare as if they stood at the same place.
    const text = (i: number, hiddenId: string) => normalizeOutcome(JSON.stringify({ ...entries[i], response: { ...entries[i]?.response, outcome: entries[i]?.response?.outcome } }), hiddenId).replace(/entry\[\d+\]/g, 'entry[n]');
    expected.entries.forEach((e, i) => {
      const status = String(entries[i]?.response?.status ?? '').split(' ')[0];
      if ('asEntry' in e) {
        if (text(i, e.hiddenId) !== text(e.asEntry, e.hiddenId)) problems.push(`${where}: entry ${i} (${e.hiddenId}) answers ${JSON.stringify(entries[i]).slice(0, 200)}; absent answers ${JSON.stringify(entries[e.asEntry]).slice(0, 200)}`);
      } else if (status !== e.status || (e.id && entries[i]?.resource?.id !== e.id)) {
        problems.push(`${where}: entry ${i} expected ${e.status}, got ${JSON.stringify(entries[i]).slice(0, 200)}`);
      }
    });
    return problems;
  }
  const matches: string[] = [];
  const includes: string[] = [];
  let total: number | undefined;
  let path: string | undefined = c.request.path;
  for (let page = 0; path; page++) {
    const answer = await viewer.client.call('GET', path);
    leakCheck(answer);
    if (answer.status !== 200) {
      problems.push(`${where}: ${answer.status} ${answer.text.slice(0, 300)}`);
      return problems;
    }
    if (page === 0) total = answer.body.total;
    for (const entry of answer.body.entry ?? []) {
      if (expected.history) {
        matches.push(`${entry.fullUrl.split('/').slice(-2).join('/')}/_history/${/W\/"(\d+)"/.exec(entry.response.etag)?.[1]}`);
      } else (entry.search?.mode === 'include' ? includes : matches).push(`${entry.resource.resourceType}/${entry.resource.id}`);
    }
    const next = answer.body.link?.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    path = next ? next.slice(next.indexOf('/fhir')) : undefined;
    if (page > 500) throw new Error(`${where}: paging does not end`);
  }
  const sorted = (list: string[]) => [...list].sort();
  if (expected.summaryCount) {
    if (matches.length) problems.push(`${where}: _summary=count returned entries`);
  } else if (JSON.stringify(sorted(matches)) !== JSON.stringify(sorted(expected.matches))) {
    const extra = matches.filter((m) => !expected.matches.includes(m));
    const missing = expected.matches.filter((m) => !matches.includes(m));
    problems.push(`${where}: matches differ; not allowed or duplicated: [${extra.join(', ')}${matches.length - new Set(matches).size ? ' +duplicates' : ''}]; missing: [${missing.join(', ')}]`);
  }
  if (expected.includes) {
    const got = [...new Set(includes)];
    const extra = got.filter((m) => !expected.includes?.includes(m));
    const missing = expected.includes.filter((m) => !got.includes(m) && !matches.includes(m));
    if (extra.length || missing.length) problems.push(`${where}: includes differ; not allowed: [${extra.join(', ')}]; missing: [${missing.join(', ')}]`);
  }
  if (total !== undefined && total !== expected.matches.length) problems.push(`${where}: total ${total}, allowed ${expected.matches.length}`);
  if (expected.summaryCount && total === undefined) problems.push(`${where}: _summary=count without a total`);
  return problems;
}

describe('the world', () => {
  test('every consent state stands between some facility and some patient with data', () => {
    const states = new Set<string>();
    for (const viewer of world.viewers.filter((v) => v.role === 'clinician')) {
      for (const resident of Object.values(world.residents)) {
        if (resident.regionalId) states.add(rules.state(viewer.organization as string, resident.regionalId));
      }
    }
    expect([...states].sort()).toEqual(['linked', 'none', 'revoked', 'withdrawn']);
    // The fifth state, emergency, is the emergency team's; its summaries are checked below.
    expect(world.emergency.allowed.status).toBe(200);
  });

  test('each facility role sees some but not all of the other facilities\' patient data', () => {
    const others = (viewer: Viewer) => rules.currentOf().filter((v) => v.source && v.source !== viewer.organization && patientsOf(v.content).length);
    for (const viewer of world.viewers.filter((v) => v.role === 'clinician' && v.organization !== world.facilities.lab.reference)) {
      const seen = others(viewer).filter((v) => rules.visibleTo(viewer, v));
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.length).toBeLessThan(others(viewer).length);
    }
  });
});

describe.each(READ_PATHS.map((p) => [p.name, p] as const))('%s', (_name, readPath) => {
  test('answers every viewer with exactly what the rules allow', async () => {
    const cases = readPath.cases(rules);
    expect(cases.length).toBeGreaterThan(0);
    const problems: string[] = [];
    const secrets = new Map(world.viewers.map((viewer) => [viewer, unmentionable(viewer)]));
    await pool(world.viewers.flatMap((viewer) => cases.map((c) => [viewer, c] as const)), 16, async ([viewer, c]) => {
      problems.push(...(await check(viewer, c, secrets.get(viewer) as string[])));
    });
    expect(problems).toEqual([]);
    // Every viewer times every case: the read path alone is thousands of requests, a minute on a busy
    // machine. The limit guards against a hang; speed is the benchmark's to measure.
  }, 180_000);
});

describe('emergency', () => {
  test('$emergency-summary gives exactly the emergency subset of a resident who allowed it; every refusal looks alike', () => {
    const resident = world.residents.linked;
    const hub = rules.hub(resident.regionalId as string);
    const about = (v: Version) => patientsOf(v.content).some((id) => hub.includes(id));
    const coreHospitals = [world.facilities.hospitalA.reference, world.facilities.hospitalB.reference];
    const expected = [
      `Patient/${resident.regionalId}`,
      ...ids(rules.currentOf('Basic').filter((v) => about(v) && hasCode(v.content, 'emergency-info'))),
      ...ids(rules.currentOf('AllergyIntolerance').filter(about)),
      ...ids(rules.currentOf('MedicationRequest').filter((v) => about(v) && coreHospitals.includes(v.source as string))),
    ];
    const got = world.emergency.allowed.body.entry.map((e: { resource: Resource }) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(world.emergency.allowed.status).toBe(200);
    expect([...got].sort()).toEqual([...new Set(expected)].sort());
    const refusals = [world.emergency.noEmergencyUse, world.emergency.notEnrolled, world.emergency.unknownCard];
    for (const refusal of refusals) {
      expect(refusal.status).toBe(404);
      expect(refusal.text.replace(/"id":"[^"]*"/g, '')).toBe(refusals[0].text.replace(/"id":"[^"]*"/g, ''));
    }
  });
});

/**
 * Conditional writes by each facility's clients, each aimed at another facility's record it may not see:
 * the condition must behave as if that record did not exist. Run last, as they add resources to the world.
 */
describe('conditional writes never act on, or reveal, a hidden match', () => {
  const writers = () => world.viewers.filter((v) => v.role === 'clinician' || v.role === 'gateway');
  /** Identifiers already aimed at: each probe takes a fresh one, so what one probe creates is not another's match. */
  const used = new Set<string>();
  /** Record types with identifiers to aim at (not Patient: a copied Patient.link would link a new record). */
  const TARGET_TYPES = ['Observation', 'ServiceRequest', 'Specimen', 'DiagnosticReport'];
  /** A record with an identifier this viewer may not see, not aimed at before. */
  const hiddenTarget = (viewer: Viewer) => {
    const identifierOf = (v: Version) => (v.content as { identifier?: { system: string; value: string }[] }).identifier?.[0];
    const target = rules
      .currentOf()
      .find((v) => TARGET_TYPES.includes(v.type) && !rules.visibleTo(viewer, v) && identifierOf(v) && !used.has(JSON.stringify(identifierOf(v))));
    if (!target) throw new Error(`no hidden record with an identifier left for ${viewer.name}`);
    const identifier = identifierOf(target) as { system: string; value: string };
    used.add(JSON.stringify(identifier));
    const condition = (value: string) => `identifier=${encodeURIComponent(`${identifier.system}|${value}`)}`;
    return { target, type: target.type, condition: condition(identifier.value), absentCondition: condition('no-such-value') };
  };
  /** The hidden record's content as a new record of the caller's. */
  const body = (target: Version) => {
    const { id: _id, meta: _meta, ...content } = target.content;
    return content;
  };
  const unchanged = async (target: Version) => {
    const now = await world.admin.call('GET', `/fhir/${target.type}/${target.id}`);
    return now.status === 200 && now.body.meta.versionId === String(target.versionId);
  };

  test('If-None-Exist matching only a hidden resource creates a new one; matching its own returns it', async () => {
    for (const viewer of writers()) {
      const { target, type, condition } = hiddenTarget(viewer);
      const created = await viewer.client.call('POST', `/fhir/${type}`, body(target), { 'if-none-exist': condition });
      expect({ viewer: viewer.name, status: created.status, sameId: created.body?.id === target.id, leaks: created.text.includes(target.id) }).toEqual({ viewer: viewer.name, status: 201, sameId: false, leaks: false });
      expect(await unchanged(target)).toBe(true);
      const again = await viewer.client.call('POST', `/fhir/${type}`, body(target), { 'if-none-exist': condition });
      expect({ viewer: viewer.name, status: again.status, id: again.body?.id }).toEqual({ viewer: viewer.name, status: 200, id: created.body.id });
    }
  });

  test('a conditional update matching only a hidden resource creates a new one and leaves the hidden one alone', async () => {
    for (const viewer of writers()) {
      const { target, type, condition } = hiddenTarget(viewer);
      const answer = await viewer.client.call('PUT', `/fhir/${type}?${condition}`, body(target));
      expect({ viewer: viewer.name, status: answer.status, sameId: answer.body?.id === target.id, leaks: answer.text.includes(target.id) }).toEqual({ viewer: viewer.name, status: 201, sameId: false, leaks: false });
      expect(await unchanged(target)).toBe(true);
    }
  });

  test('a conditional delete matching only a hidden resource deletes nothing and answers as for no match', async () => {
    for (const viewer of writers()) {
      const { target, type, condition, absentCondition } = hiddenTarget(viewer);
      const hidden = await viewer.client.call('DELETE', `/fhir/${type}?${condition}`);
      const absent = await viewer.client.call('DELETE', `/fhir/${type}?${absentCondition}`);
      expect({ viewer: viewer.name, status: hidden.status, text: hidden.text }).toEqual({ viewer: viewer.name, status: absent.status, text: absent.text });
      expect(await unchanged(target)).toBe(true);
    }
  });

  test('a transaction entry with If-None-Exist matching only a hidden resource creates a new one', async () => {
    for (const viewer of writers()) {
      const { target, type, condition } = hiddenTarget(viewer);
      const answer = await viewer.client.call('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: body(target), request: { method: 'POST', url: type, ifNoneExist: decodeURIComponent(condition) } }] });
      expect({ viewer: viewer.name, status: answer.status, entry: answer.body.entry?.[0]?.response?.status, leaks: answer.text.includes(target.id) }).toEqual({ viewer: viewer.name, status: 200, entry: '201 Created', leaks: false });
      expect(await unchanged(target)).toBe(true);
    }
  });

  test('the world is unchanged for the administrator apart from the new records', async () => {
    const after = await snapshot(world.admin);
    const before = new Set(world.versions.map(versionKey));
    const changed = after.filter((v) => !before.has(versionKey(v)));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((v) => !TARGET_TYPES.includes(v.type) || v.versionId !== 1)).toEqual([]);
  });
});
