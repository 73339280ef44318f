import path from 'node:path';

/**
 * Third-party data the tests read, copied into the repository unmodified, each source with its licence and
 * origin (`tests/fixtures/third-party/README.md`), so a fresh clone tests itself with nothing beside it.
 */
export const FIXTURES = path.resolve(__dirname, 'fixtures', 'third-party');

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}
