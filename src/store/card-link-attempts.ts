/**
 * The card_link_attempt table: every attempt to prove a card (a facility's $link-card, a resident's
 * self-registration), counted as a failure when it is claimed and marked a success afterwards, so the rate
 * limit (consent/card-link.ts) holds however many guesses arrive at once.
 */
import type { Db } from './db/database';
import { sql } from '../core/sql';

export class CardLinkAttempts {
  constructor(private readonly db: Db) {}

  /**
   * Counts a new attempt of the client as a failure, with the client's attempts locked meanwhile, unless it
   * already has maxFailures failures within the window (a PostgreSQL interval, "15 minutes"): then
   * undefined. Returns the attempt's time, which names it.
   */
  claim(clientId: string, maxFailures: number, window: string): Promise<string | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.query(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`card-link ${clientId}`}, 0))`);
      const [row] = await tx.query<{ n: string }>(sql`SELECT count(*) AS n FROM card_link_attempt
        WHERE client_id = ${clientId} AND NOT succeeded AND attempted_at > now() - ${window}::interval`);
      if (Number(row.n) >= maxFailures) return undefined;
      const [claimed] = await tx.query<{ at: string }>(sql`INSERT INTO card_link_attempt (client_id, succeeded) VALUES (${clientId}, false)
        RETURNING to_char(attempted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`);
      return claimed.at;
    });
  }

  /** The claimed attempt turned out right (or not a guess): it no longer counts against the client. */
  async succeeded(clientId: string, attempt: string): Promise<void> {
    await this.db.query(sql`UPDATE card_link_attempt SET succeeded = true WHERE client_id = ${clientId} AND attempted_at = ${attempt}::timestamptz AND NOT succeeded`);
  }
}
