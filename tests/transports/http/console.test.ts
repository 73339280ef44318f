/** The console's files at /console/: index, assets, and a clear answer when the console was never built. */
import Fastify from 'fastify';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerConsole } from '../../../src/transports/http/console';

async function appServing(buildDir: string | undefined) {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  await registerConsole(app, buildDir);
  return app;
}

test('serves the built index at /console/ and its assets beneath', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-console-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Tonet</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  const app = await appServing(dir);
  const index = await app.inject('/console/');
  expect(index.statusCode).toBe(200);
  expect(index.headers['content-type']).toMatch(/text\/html/);
  expect(index.body).toContain('<title>Tonet</title>');
  const bare = await app.inject('/console');
  expect([200, 301, 302]).toContain(bare.statusCode);
  const asset = await app.inject('/console/assets/app.js');
  expect(asset.statusCode).toBe(200);
  expect(asset.headers['content-type']).toMatch(/javascript/);
  expect((await app.inject('/console/assets/missing.js')).statusCode).toBe(404);
  await app.close();
});

test('without a build /console/ says how to build it', async () => {
  const app = await appServing(undefined);
  const answer = await app.inject('/console/');
  expect(answer.statusCode).toBe(503);
  expect(answer.body).toContain('npm run build');
  await app.close();
});
