import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stdout; one logger built at start and handed down. A silent logger opens no
 * stdout stream: pino's stream hooks process exit to flush, and a hook per logger outlives whatever built
 * it (each test file's server kept its whole module graph alive through one).
 */
export function createLogger(level: string): Logger {
  if (level === 'silent') return pino({ level }, { write: () => undefined });
  return pino({ level, base: { service: 'tonet' } });
}
