/**
 * The web console (console/, a Vite + React app) served as files at /console/. It is a client of the public
 * GraphQL and FHIR APIs like any other, so this module only hands out the built files; it reads no data.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { packageFolder } from '../../core/package-files';

export const CONSOLE_PATH = '/console';

/** console/dist, once `npm run build` has built the console into it. */
export function consoleBuildDir(): string | undefined {
  return packageFolder(path.join('console', 'dist'), (names) => names.includes('index.html'));
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
