/** A jsonb column as the drivers hand it over: parsed by pg, a string from some PGlite paths. */
export function jsonColumn<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
