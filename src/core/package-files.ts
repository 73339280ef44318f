/**
 * Files that ship beside the code rather than inside it (SQL migrations, the built console, the GraphQL
 * page's script). tsc compiles src/ into dist/src/ but copies nothing else, so they are found by walking up
 * from here, whether running from src/ (tests) or dist/src/ (npm start), to the nearest folder that holds
 * what is looked for: dist/ may also hold a same-named folder (package.json is copied there; an older build
 * left dist/migrations/), which the check passes over.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The nearest `relative` folder above `from` for which holds(its file names) is true. */
export function packageFolder(relative: string, holds: (names: string[]) => boolean, from: string = __dirname): string | undefined {
  let dir = from;
  for (let depth = 0; depth < 5; depth++) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate) && fs.statSync(candidate).isDirectory() && holds(fs.readdirSync(candidate))) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}
