/**
 * Every `sh` block of README.md runs, as written, against Tonet started the way `npm start` starts it on a
 * first run (embedded database, demo region — also when the suite itself runs on PostgreSQL): a documented command that stops working fails the build.
 * Blocks marked `<!-- readme-test: setup -->` (install, start, test) are what CI itself runs from a clean
 * clone; blocks marked `<!-- readme-test: after-stop -->` run once the server has stopped.
 *
 * Two substitutions only, both of place: the server's real URL for http://localhost:8080, and the test's data
 * folder for ./data/. curl is wrapped with --fail-with-body, so an HTTP error fails the block.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShippedServer, startShippedServer } from '../support/shipped-server';

const ROOT = path.resolve(__dirname, '..', '..');

interface Block {
  marker?: string;
  script: string;
  line: number;
}

function readmeBlocks(): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const marker = /^<!-- readme-test: (\S+) -->$/.exec(lines[i - 1] ?? '')?.[1];
    const end = lines.indexOf('```', i + 1);
    blocks.push({ marker, script: lines.slice(i + 1, end).join('\n'), line: i + 1 });
    i = end;
  }
  return blocks;
}

let server: ShippedServer | undefined;
let dataDir: string;
let stateDir: string;

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonet-readme-state-'));
  // The launcher's data folder is made by startShippedServer; the README's ./data/ points at it.
  server = await startShippedServer({ TONET_DEMO: 'auto', TONET_STATE_DIR: stateDir }, { embedded: true });
  dataDir = server.dataDir;
  for (let i = 0; i < 2400 && !fs.existsSync(path.join(dataDir, 'demo-credentials.json')); i++) await new Promise((r) => setTimeout(r, 100));
}, 360_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

function run(block: Block, url: string): string {
  const script = ['set -euo pipefail', 'curl() { command curl --fail-with-body "$@"; }', block.script.replaceAll('http://localhost:8080', url).replaceAll('./data/', `${dataDir}/`)].join('\n');
  try {
    return execFileSync('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: '', TONET_DATA_DIR: dataDir, TONET_STATE_DIR: stateDir }, encoding: 'utf8', timeout: 240_000 });
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string };
    throw new Error(`README.md line ${block.line}: the block failed\n${failed.stderr ?? ''}\n${(failed.stdout ?? '').slice(-2000)}`);
  }
}

test('README has runnable blocks, and only the set-up ones are left to CI', () => {
  const blocks = readmeBlocks();
  expect(blocks.filter((b) => !b.marker).length).toBeGreaterThan(0);
  expect(blocks.filter((b) => b.marker === 'setup').map((b) => b.script)).toEqual(['npm install && npm start', 'npm test']);
});

test('every README command runs against the demo region, then the after-stop ones', async () => {
  if (!fs.existsSync(path.join(dataDir, 'demo-credentials.json'))) throw new Error(`the demo region was not seeded: ${server!.stderr()}`);
  const blocks = readmeBlocks();
  const output = blocks.filter((b) => !b.marker).map((b) => run(b, server!.url)).join('\n');
  // The raw UTF-8 search and the encoded one each found the demo's ヤマダ.
  expect(output.match(/"family":"ヤマダ"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  expect(output).toMatch(/hba1c-high/);
  expect(output).toMatch(/accepted [1-9]\d*, rejected \d+/);
  await server!.stop({ keepData: true });
  const after = blocks.filter((b) => b.marker === 'after-stop').map((b) => run(b, server!.url)).join('\n');
  expect(after).toMatch(/^OK: \d+ audit events, hash chain intact/m);
  server = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 600_000);
