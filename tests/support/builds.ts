/**
 * The two builds some test files run: the server's dist/ (what `bin/tonet` starts) and the console's
 * console/dist (what the server serves to browsers). Made once per test run, in global-setup.ts, and only
 * when a source is newer than the last build — a clone after `npm start` already has both. Building inside
 * each test file cost a TypeScript run per file, minutes in all on a 2-core machine.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER_SOURCES = ['src', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
/**
 * tsc's build record (tsconfig.build.json), which `npm run build` writes too; touched after each build here,
 * because tsc leaves it as it was when no source changed in content.
 */
const SERVER_BUILD_INFO = path.join(ROOT, 'dist', '.tsbuildinfo.build');
const CONSOLE_DIR = path.join(ROOT, 'console');
const CONSOLE_INDEX = path.join(CONSOLE_DIR, 'dist', 'index.html');

function newestChange(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) {
    if (child === 'dist' || child === 'node_modules') continue;
    newest = Math.max(newest, newestChange(path.join(entry, child)));
  }
  return newest;
}

function builtAfter(output: string, sources: string[]): boolean {
  return fs.existsSync(output) && fs.statSync(output).mtimeMs > Math.max(...sources.map(newestChange));
}

export function ensureServerBuilt(): void {
  if (builtAfter(SERVER_BUILD_INFO, SERVER_SOURCES.map((s) => path.join(ROOT, s)))) return;
  process.stdout.write('building dist/ for the tests that start bin/tonet\n');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  const now = new Date();
  fs.utimesSync(SERVER_BUILD_INFO, now, now);
}

export function ensureConsoleBuilt(): void {
  if (builtAfter(CONSOLE_INDEX, [CONSOLE_DIR])) return;
  process.stdout.write('building console/dist for the browser tests\n');
  execFileSync('npm', ['run', '--silent', 'build:console'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
}
