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

/** What a request should answer for one viewer. */
type Expectation =
  | { kind: 'single'; status: 200 | 410; id: string }
  | { kind: 'bundle'; matches: string[]; includes?: string[]; history?: boolean; summaryCount?: boolean }
  /** Hidden: exactly what the same request answers about something that does not exist. */
  | { kind: 'as-absent'; absentPath: string; hiddenId: string };

interface Case {
  label: string;
  path: string;
  expect(viewer: Viewer): Expectation;
}

interface ReadPath {
  name: string;
  cases(rules: Rules): Case[];
}

const ids = (versions: Version[]) => versions.map(key);
const types = () => [...new Set(rules.currentOf().map((v) => v.type))].sort();
const refersTo = (resource: Resource, path: 'subject', patientIds: string[]) =>
  patientIds.some((p) => (resource as unknown as Record<string, { reference?: string }>)[path]?.reference === `Patient/${p}`);
const hasCode = (resource: Resource, code: string) => !!(resource as { code?: { coding?: { code?: string }[] } }).code?.coding?.some((c) => c.code === code);

/** A single resource: 200/410 when visible, otherwise the answer about an absent id. */
function single(version: Version, path: (id: string) => string, visible: (viewer: Viewer) => boolean, deleted: boolean): Case {
  return {
    label: versionKey(version),
    path: path(version.id),
    expect: (viewer) => (visible(viewer) ? { kind: 'single', status: deleted ? 410 : 200, id: version.id } : { kind: 'as-absent', absentPath: path(ABSENT_ID), hiddenId: version.id }),
  };
}

/** The current versions a viewer may see among those that match. */
function search(label: string, path: string, matches: (v: Version, viewer: Viewer) => boolean, extra: Partial<Extract<Expectation, { kind: 'bundle' }>> = {}): Case {
  return { label, path, expect: (viewer) => ({ kind: 'bundle', matches: ids(rules.visibleCurrent(viewer).filter((v) => matches(v, viewer))), ...extra }) };
}

function history(label: string, path: string, of: (v: Version) => boolean): Case {
  return { label, path, expect: (viewer) => ({ kind: 'bundle', history: true, matches: world.versions.filter((v) => of(v) && rules.visibleTo(viewer, v)).map(versionKey) }) };
}

/** A patient-scoped bundle that is about a Patient the viewer may not see answers as for an absent Patient. */
function aboutPatient(patient: Version, path: (id: string) => string, inner: (viewer: Viewer) => Expectation): Case {
  return {
    label: key(patient),
    path: path(patient.id),
    expect: (viewer) => (rules.visibleTo(viewer, patient) ? inner(viewer) : { kind: 'as-absent', absentPath: path(ABSENT_ID), hiddenId: patient.id }),
  };
}

const READ_PATHS: ReadPath[] = [
  {
    name: 'read',
    cases: (r) => r.versions.filter((v) => v.current).map((v) => single(v, (id) => `/fhir/${v.type}/${id}`, (viewer) => r.visibleTo(viewer, v), v.deleted)),
  },
  {
    name: 'vread',
    cases: (r) => r.versions.map((v) => single(v, (id) => `/fhir/${v.type}/${id}/_history/${v.versionId}`, (viewer) => r.visibleTo(viewer, v), v.deleted)),
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
            path: path(v.id),
            expect: (viewer): Expectation => {
              const seen = all.filter((o) => r.visibleTo(viewer, o));
              return seen.length ? { kind: 'bundle', history: true, matches: seen.map(versionKey) } : { kind: 'as-absent', absentPath: path(ABSENT_ID), hiddenId: v.id };
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
        path: '/fhir/Observation?_include=Observation:subject&_count=1000',
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
        path: '/fhir/Patient?_revinclude=Observation:subject&_revinclude:iterate=Provenance:target&_count=1000',
        expect: (viewer) => {
          const patients = r.visibleCurrent(viewer, 'Patient');
          const refs = (list: Version[]) => new Set(list.map(key));
          const observations = r.visibleCurrent(viewer, 'Observation').filter((o) => refs(patients).has((o.content as { subject?: { reference?: string } }).subject?.reference ?? ''));
          // Provenance:target is iterated: from the Patients (first step) and from the Observations included.
          const targets = new Set([...refs(patients), ...refs(observations)]);
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
          v.type === 'Patient' && r.visibleCurrent(viewer, 'Observation').some((o) => hasCode(o.content, code) && refersTo(o.content, 'subject', [v.id]))
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

/** Runs one request for one viewer and returns what was wrong with the answer (nothing, when it is right). */
async function check(viewer: Viewer, c: Case, secret: string[]): Promise<string[]> {
  const problems: string[] = [];
  const where = `${viewer.name} ${c.path}`;
  const leakCheck = (answer: Answer) => {
    const text = withCursors(answer.text);
    const leaked = secret.filter((id) => text.includes(id) && !c.path.includes(id));
    if (leaked.length) problems.push(`${where}: hidden ids in the answer: ${leaked.join(', ')}`);
  };
  if (viewer.role === 'researcher') {
    const answer = await viewer.client.call('GET', c.path);
    if (answer.status !== 403) problems.push(`${where}: researcher got ${answer.status}`);
    leakCheck(answer);
    return problems;
  }
  const expected = c.expect(viewer);
  if (expected.kind === 'as-absent') {
    const [hidden, absent] = [await viewer.client.call('GET', c.path), await viewer.client.call('GET', expected.absentPath)];
    if (hidden.status !== absent.status || normalizeOutcome(hidden.text, expected.hiddenId) !== normalizeOutcome(absent.text, expected.hiddenId)) {
      problems.push(`${where}: hidden answers ${hidden.status} ${hidden.text.slice(0, 200)}; absent answers ${absent.status} ${absent.text.slice(0, 200)}`);
    }
    leakCheck(hidden);
    return problems;
  }
  if (expected.kind === 'single') {
    const answer = await viewer.client.call('GET', c.path);
    if (answer.status !== expected.status || (expected.status === 200 && answer.body?.id !== expected.id)) problems.push(`${where}: expected ${expected.status}, got ${answer.status} ${answer.text.slice(0, 200)}`);
    leakCheck(answer);
    return problems;
  }
  const matches: string[] = [];
  const includes: string[] = [];
  let total: number | undefined;
  let path: string | undefined = c.path;
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
    for (const viewer of world.viewers) {
      const secret = unmentionable(viewer);
      await pool(cases, 8, async (c) => {
        problems.push(...(await check(viewer, c, secret)));
      });
    }
    expect(problems).toEqual([]);
  });
});
