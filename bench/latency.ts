/**
 * Step 3: each search kind through HTTP (bearer token, as a client sends it) and its hand-written SQL twin
 * on the raw table, with the same parameters, one after the other in alternating order so that both see
 * the same cache state. Tonet is also asked with `_total=none`, which shows what the default exact total costs.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { Pool } from 'pg';
import { JLAC10, SYSTEMS } from './codes';
import { CpuMeter, CpuSplit, describeCpu } from './cpu';
import { factsOf, FIRST_YEAR, LAST_YEAR } from './dataset';
import { BenchOptions } from './options';
import { Prng } from './prng';
import { Progress } from './progress';
import type { ServerProcess } from './server-process';
import type { SqlOverHttp } from './sql-over-http';
import { elapsedMs, LatencySummary, summarize } from './stats';

interface SearchSample {
  /** Below the FHIR base: `Patient?identifier=…`. */
  http: string;
  sql: { text: string; values: unknown[] };
}

export interface SearchKind {
  key: string;
  title: string;
  sample(rng: Prng): SearchSample;
}

export interface SearchResult {
  key: string;
  title: string;
  example: string;
  http: LatencySummary;
  httpNoTotal: LatencySummary;
  sql: LatencySummary;
  /** The same SQL behind a bare HTTP server (sql-over-http.ts): the fixed cost of a request without Tonet's work. */
  sqlOverHttp: LatencySummary;
  /** Tonet p99 over raw SQL p99. */
  p99Ratio: number;
  /** Tonet p99 over the p99 of the SQL behind the bare HTTP server. */
  p99RatioOverHttp: number;
  /** Samples where the page Tonet returned had a different number of matches than the SQL twin. */
  countMismatches: number;
  meanMatches: number;
  cpu: CpuSplit;
}

const WARM_UP = 20;

export function searchKinds(options: BenchOptions, patientIds: string[]): SearchKind[] {
  const patient = (rng: Prng) => factsOf(options.seed, rng.int(0, options.patients - 1));
  return [
    {
      key: 'observations-of-patient',
      title: "(a) one patient's Observations for a code in a date range, newest first, _count=20",
      sample(rng) {
        const facts = patient(rng);
        const test = rng.pick(facts.labPanel);
        const from = rng.int(FIRST_YEAR, LAST_YEAR - 1);
        const to = Math.min(LAST_YEAR, from + rng.int(1, 3));
        return {
          http: `Observation?subject=Patient/${patientIds[facts.index]}&code=${enc(`${SYSTEMS.jlac10}|${test.code}`)}&date=ge${from}-01-01&date=le${to}-12-31&_sort=-date&_count=20`,
          sql: {
            text: `SELECT id, content FROM raw_resource WHERE type = 'Observation' AND patient = $1 AND code_system = $2 AND code = $3
                     AND date >= $4 AND date < $5 ORDER BY date DESC LIMIT 20`,
            values: [facts.uuid, SYSTEMS.jlac10, test.code, `${from}-01-01T00:00:00Z`, `${to + 1}-01-01T00:00:00Z`],
          },
        };
      },
    },
    {
      key: 'patient-by-identifier',
      title: '(b) Patient?identifier=system|value',
      sample(rng) {
        const facts = patient(rng);
        return {
          http: `Patient?identifier=${enc(`${facts.identifierSystem}|${facts.identifierValue}`)}`,
          sql: {
            text: `SELECT id, content FROM raw_resource WHERE type = 'Patient' AND identifier = $1 AND identifier_system = $2 ORDER BY rid LIMIT 20`,
            values: [facts.identifierValue, facts.identifierSystem],
          },
        };
      },
    },
    {
      key: 'patient-by-name',
      title: '(c) Patient?name=<Japanese name> (kanji family, katakana family, or full kanji name)',
      sample(rng) {
        const facts = patient(rng);
        const name = rng.pick([facts.family.kanji, facts.family.kana, facts.family.kanji + facts.given.kanji]);
        return {
          http: `Patient?name=${enc(name)}`,
          sql: {
            text: `SELECT id, content FROM raw_resource WHERE type = 'Patient' AND (name LIKE $1 OR kana LIKE $1) ORDER BY rid LIMIT 20`,
            values: [`${name}%`],
          },
        };
      },
    },
    {
      key: 'observations-by-value',
      title: '(d) Observation?code=system|code&value-quantity=gt<n>',
      // FHIR leaves the order of an unsorted search to the server; the hand-written query takes the order of
      // its index (value, then rid), as anyone writing it for this search would.
      sample(rng) {
        const test = rng.pick(JLAC10);
        const threshold = Number((test.mean + test.sd * (1 + rng.next() * 1.5)).toFixed(test.decimals));
        return {
          http: `Observation?code=${enc(`${SYSTEMS.jlac10}|${test.code}`)}&value-quantity=gt${threshold}`,
          sql: {
            text: `SELECT id, content FROM raw_resource WHERE type = 'Observation' AND code_system = $1 AND code = $2 AND value > $3 ORDER BY value, rid LIMIT 20`,
            values: [SYSTEMS.jlac10, test.code, threshold],
          },
        };
      },
    },
  ];
}

export async function measureSearch(options: BenchOptions, server: ServerProcess, pool: Pool, sqlOverHttp: SqlOverHttp, kind: SearchKind): Promise<SearchResult> {
  const rng = new Prng(options.seed ^ hash(kind.key));
  const http: number[] = [];
  const httpNoTotal: number[] = [];
  const sql: number[] = [];
  const overHttp: number[] = [];
  let countMismatches = 0;
  let matches = 0;
  let example = '';
  const progress = new Progress(`search ${kind.key}`, options.samples, 'samples');
  const cpu = new CpuMeter(server.pid, options.database);
  for (let i = -WARM_UP; i < options.samples; i++) {
    const sample = kind.sample(rng);
    example ||= sample.http;
    const viaHttp = () => timedSearch(server, sample.http);
    const viaHttpNoTotal = () => timedSearch(server, `${sample.http}&_total=none`);
    const viaSql = async () => {
      const start = process.hrtime.bigint();
      const result = await pool.query(sample.sql.text, sample.sql.values);
      return { ms: elapsedMs(start), count: result.rowCount ?? 0 };
    };
    // Alternate who goes first, so neither side always finds the other's pages in cache.
    const first = i % 2 === 0;
    const sqlBefore = first ? await viaSql() : undefined;
    const served = await viaHttp();
    const servedNoTotal = await viaHttpNoTotal();
    const raw = sqlBefore ?? (await viaSql());
    const rawOverHttp = await timedSqlOverHttp(sqlOverHttp, sample.sql);
    if (i < 0) continue;
    http.push(served.ms);
    httpNoTotal.push(servedNoTotal.ms);
    sql.push(raw.ms);
    overHttp.push(rawOverHttp.ms);
    matches += served.count;
    if (served.count !== raw.count || rawOverHttp.count !== raw.count) countMismatches++;
    progress.update(i + 1);
  }
  const result: SearchResult = {
    key: kind.key,
    title: kind.title,
    example,
    http: summarize(http),
    httpNoTotal: summarize(httpNoTotal),
    sql: summarize(sql),
    sqlOverHttp: summarize(overHttp),
    p99Ratio: 0,
    p99RatioOverHttp: 0,
    countMismatches,
    meanMatches: matches / options.samples,
    cpu: cpu.read(),
  };
  result.p99Ratio = result.http.p99 / result.sql.p99;
  result.p99RatioOverHttp = result.http.p99 / result.sqlOverHttp.p99;
  progress.done(`p99 Tonet ${result.http.p99.toFixed(2)} ms vs SQL ${result.sql.p99.toFixed(2)} ms, SQL over HTTP ${result.sqlOverHttp.p99.toFixed(2)} ms; ${describeCpu(result.cpu)}`);
  return result;
}

/** GET /healthz: what one HTTP round trip costs here without authentication, FHIR or the database. */
export async function measureHttpFloor(options: BenchOptions, server: ServerProcess): Promise<LatencySummary> {
  const times: number[] = [];
  for (let i = -WARM_UP; i < options.samples; i++) {
    const start = process.hrtime.bigint();
    const res = await fetch(`${server.url}/healthz`);
    await res.text();
    if (i >= 0) times.push(elapsedMs(start));
  }
  return summarize(times);
}

async function timedSearch(server: ServerProcess, path: string): Promise<{ ms: number; count: number }> {
  const start = process.hrtime.bigint();
  const res = await fetch(`${server.fhirUrl}/${path}`, { headers: { authorization: `Bearer ${server.token}`, accept: 'application/fhir+json' } });
  const text = await res.text();
  const ms = elapsedMs(start);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { ms, count: ((JSON.parse(text) as Bundle).entry ?? []).length };
}

async function timedSqlOverHttp(sqlOverHttp: SqlOverHttp, statement: { text: string; values: unknown[] }): Promise<{ ms: number; count: number }> {
  const start = process.hrtime.bigint();
  const res = await fetch(sqlOverHttp.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(statement) });
  const text = await res.text();
  const ms = elapsedMs(start);
  if (res.status !== 200) throw new Error(`SQL over HTTP: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { ms, count: ((JSON.parse(text) as Bundle).entry ?? []).length };
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

function hash(text: string): number {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619);
  return h >>> 0;
}
