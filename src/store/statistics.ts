/**
 * Planner statistics kept up with bulk loads. With no statistics (a fresh database, or autovacuum off or
 * behind, as on these machines) PostgreSQL plans a patient's timeline search as a scan of every Observation
 * and answered nothing within 20 s right after a load. Each process counts the resources it writes and, once
 * they reach as many as the `resource` table held at the last ANALYZE (at least MIN_ROWS), runs ANALYZE of the
 * store's tables after the commit: about log2(n) times over a load of n resources, each time with estimates
 * at most half stale. Autovacuum, where it runs, does the same later and more often.
 */
import type { Db } from './db/database';
import { Connection, databaseOf } from './connection';
import { raw, sql } from '../core/sql';
import type { Logger } from '../core/logger';
import type { StoredVersion } from './resource-writes';

const MIN_ROWS = 1000;
const TABLES = ['resource', 'resource_history', 'sp_token', 'sp_string', 'sp_date', 'sp_number', 'sp_quantity', 'sp_reference', 'sp_token_quantity', 'timeline_entry'];

export class PlannerStatistics {
  private written = 0;
  /** Rows of `resource` at the last ANALYZE (pg_class.reltuples), read at the first write. */
  private analyzedRows: number | undefined;
  private running = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger
  ) {}

  /** The write hook: counts what was written once it has committed. */
  readonly hook = async (tx: Connection, versions: StoredVersion[]): Promise<void> => {
    const count = versions.length;
    databaseOf(tx).afterCommit(() => this.wrote(count));
  };

  private wrote(count: number): void {
    this.written += count;
    if (!this.running && this.written >= Math.max(MIN_ROWS, this.analyzedRows ?? 0)) void this.analyze();
  }

  private async analyze(): Promise<void> {
    this.running = true;
    try {
      this.analyzedRows ??= await this.resourceRows();
      if (this.written < Math.max(MIN_ROWS, this.analyzedRows)) return;
      const written = this.written;
      this.written = 0;
      const started = Date.now();
      await this.db.query(raw(`ANALYZE ${TABLES.join(', ')}`));
      this.analyzedRows = await this.resourceRows();
      this.logger.info({ written, resources: this.analyzedRows, ms: Date.now() - started }, 'planner statistics refreshed after writes');
    } catch (err) {
      this.logger.warn({ err }, 'ANALYZE after writes failed');
    } finally {
      this.running = false;
    }
  }

  private async resourceRows(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(sql`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'resource'::regclass`);
    // -1: never analyzed.
    return Math.max(0, Number(row?.n ?? 0));
  }
}
