/**
 * The web console (console/, a Vite + React app) served as files at /console/. It is a client of the public
 * GraphQL and FHIR APIs like any other, so this module only hands out the built files; it reads no data.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';

export const CONSOLE_PATH = '/console';

/**
 * console/dist beside the package's own package.json, found from here whether running from src/ (tests) or
 * dist/src/ (npm start). tsc copies package.json into dist/ too, so the first package.json up the tree is not
 * always the package root: the nearest folder holding a built console/dist wins.
 */
export function consoleBuildDir(from: string = __dirname): string | undefined {
  let dir = from;
  for (let depth = 0; depth < 5; depth++) {
    const built = path.join(dir, 'console', 'dist');
    if (fs.existsSync(path.join(built, 'index.html'))) return built;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** Serves `buildDir` (from consoleBuildDir) at /console/, or a 503 naming the build step when there is none. */
export async function registerConsole(app: FastifyInstance, buildDir: string | undefined): Promise<void> {
  if (!buildDir) {
    for (const url of [CONSOLE_PATH, `${CONSOLE_PATH}/*`]) {
      app.get(url, async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build` (it builds console/ into console/dist).'));
    }
    return;
  }
  await app.register(fastifyStatic, { root: buildDir, prefix: CONSOLE_PATH, index: false, cacheControl: false });
  // The server ignores trailing slashes, so /console/ arrives as /console, which the wildcard does not match.
  app.get(CONSOLE_PATH, async (_request, reply) => reply.sendFile('index.html'));
}
