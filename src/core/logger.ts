import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout; one logger built at start and handed down. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tonet' } });
}
