/**
 * The first search of each kind right after the bulk load, before anyone runs ANALYZE (autovacuum is off on
 * these machines, as it may lag on a production server after a large import): one sample per kind through
 * HTTP and its SQL twin on the raw table, which has no statistics either. A plan that scans everything shows
 * here and nowhere else, since the later phases run after VACUUM ANALYZE.
 */
import type { Pool } from 'pg';
import type { SearchKind } from './latency';
import { BenchOptions } from './options';
import { Prng } from './prng';
import { log } from './progress';
import type { ServerProcess } from './server-process';
import { elapsedMs } from './stats';

export interface FirstSearch {
  key: string;
  example: string;
  /** Milliseconds, or null when no answer came within the limit. */
  httpMs: number | null;
  sqlMs: number;
}

const LIMIT_MS = 20_000;

export async function firstSearches(options: BenchOptions, server: ServerProcess, pool: Pool, kinds: SearchKind[]): Promise<FirstSearch[]> {
  const out: FirstSearch[] = [];
  for (const kind of kinds) {
    const sample = kind.sample(new Prng(options.seed + 7));
    let start = process.hrtime.bigint();
    let httpMs: number | null = null;
    try {
      const res = await fetch(`${server.fhirUrl}/${sample.http}`, {
        headers: { authorization: `Bearer ${server.token}`, accept: 'application/fhir+json' },
        signal: AbortSignal.timeout(LIMIT_MS),
      });
      await res.text();
      if (res.status !== 200) throw new Error(`GET ${sample.http}: HTTP ${res.status}`);
      httpMs = elapsedMs(start);
    } catch (err) {
      if (!(err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))) throw err;
      // The server's query would go on burning a core under the phases that follow.
      await pool.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = $1', ['active']);
    }
    start = process.hrtime.bigint();
    await pool.query(sample.sql.text, sample.sql.values);
    const sqlMs = elapsedMs(start);
    log(`first search ${kind.key} after the load, no ANALYZE: Tonet ${httpMs === null ? `no answer in ${LIMIT_MS / 1000} s` : `${httpMs.toFixed(1)} ms`}, SQL ${sqlMs.toFixed(1)} ms`);
    out.push({ key: kind.key, example: sample.http, httpMs, sqlMs });
  }
  return out;
}
