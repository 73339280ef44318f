/**
 * Which database failures mean "not now" rather than "never": the server is unreachable, restarting, out of
 * connections or disk, or read-only. A request meeting one is answered 503 with Retry-After (the client's
 * request was fine). Over MLLP a message meeting a lost connection is left unacknowledged, so that its sender
 * resends it; one meeting a database that refuses writes is answered AR saying why (databaseRefusesWrites).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
// PostgreSQL SQLSTATEs: class 08 connection exception, 57P01–03 shutdown / cannot connect now, class 53
// insufficient resources (disk full, out of memory, too many connections), 25006 read-only transaction.
const UNAVAILABLE_STATE = /^(08|57P0[1-3]|53|25006$)/;
// node-postgres reports a connection lost mid-query as a plain Error with one of these messages.
const LOST_CONNECTION = /Connection terminated|connection error and is not queryable|Client was closed|timeout exceeded when trying to connect|Cannot use a pool after calling end/i;

const READ_ONLY = 'the database is read-only';
const OUT_OF_DISK = 'the database is out of disk space';

/** Why the database is unavailable, when err says it is; undefined for any other error. */
export function databaseUnavailable(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code)) return `the database cannot be reached (${code})`;
    if (code === '25006') return READ_ONLY;
    if (code === '53100') return OUT_OF_DISK;
    if (UNAVAILABLE_STATE.test(code)) return `the database is unavailable (SQLSTATE ${code})`;
    if (typeof e.message === 'string' && LOST_CONNECTION.test(e.message)) return 'the connection to the database was lost';
  }
  return undefined;
}

/**
 * Why the database, though it answers, refuses every write (read-only, out of disk): a state that may last,
 * unlike a lost connection; undefined for any other error.
 */
export function databaseRefusesWrites(err: unknown): string | undefined {
  const reason = databaseUnavailable(err);
  return reason === READ_ONLY || reason === OUT_OF_DISK ? reason : undefined;
}
