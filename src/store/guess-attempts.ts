/**
 * The guess_attempt table: every attempt to prove a secret that can be guessed — a card (a facility's
 * $link-card, a resident's self-registration) or a client's secret at /oauth2/token — counted as a failure
 * when it is claimed and marked a success afterwards, so a rate limit holds however many guesses arrive at
 * once. Each purpose counts its own attempts, by the key its limit names (the client; the client and the
 * address it guesses from).
 */
import type { Db } from './db/database';
import { Connection, databaseOf } from './connection';
import { sql } from '../core/sql';

export type GuessPurpose = 'card-link' | 'client-secret';

export class GuessAttempts {
  private readonly db: Db;

  /** `on`: the connection whose transaction an attempt's success commits with. */
  constructor(
    on: Connection,
    private readonly purpose: GuessPurpose
  ) {
    this.db = databaseOf(on);
  }

  /**
   * Counts a new attempt under the key as a failure, with the key's attempts locked meanwhile, unless it
   * already has maxFailures failures within the window (a PostgreSQL interval, "15 minutes"): then
   * undefined. Returns the attempt's time, which names it.
   */
  claim(key: string, maxFailures: number, window: string): Promise<string | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${this.purpose} ${key}`}, 0))`);
      // Attempts older than the window count for nothing; dropping them keeps the table the size of its window.
      await tx.query(sql`DELETE FROM guess_attempt WHERE purpose = ${this.purpose} AND key = ${key} AND attempted_at <= now() - ${window}::interval`);
      const [row] = await tx.query<{ n: string }>(sql`SELECT count(*) AS n FROM guess_attempt
        WHERE purpose = ${this.purpose} AND key = ${key} AND NOT succeeded AND attempted_at > now() - ${window}::interval`);
      if (Number(row.n) >= maxFailures) return undefined;
      const [claimed] = await tx.query<{ at: string }>(sql`INSERT INTO guess_attempt (purpose, key, succeeded) VALUES (${this.purpose}, ${key}, false)
        RETURNING to_char(attempted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`);
      return claimed.at;
    });
  }

  /** The claimed attempt turned out right (or not a guess): it no longer counts against the key. */
  async succeeded(key: string, attempt: string): Promise<void> {
    await this.db.query(sql`UPDATE guess_attempt SET succeeded = true
      WHERE purpose = ${this.purpose} AND key = ${key} AND attempted_at = ${attempt}::timestamptz AND NOT succeeded`);
  }

}
