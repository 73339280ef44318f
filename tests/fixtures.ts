import path from 'node:path';

/** The shared, read-only fixtures beside the repository (`../shared/fixtures`), used unmodified. */
export const FIXTURES = path.resolve(__dirname, '..', '..', 'shared', 'fixtures');

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}
