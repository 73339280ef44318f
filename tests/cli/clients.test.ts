/**
 * `tonet client …` as a child process of the compiled CLI (built by global-setup.ts) against a running server: list prints one row per
 * client, create and rotate print a secret once that then works, deactivate ends the client's tokens, and a
 * refusal or a usage error exits non-zero with the reason.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ADMIN_ID, ADMIN_SECRET, startTestServer, TestServer } from '../support/server';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
}, 180_000);
afterAll(async () => {
  await server?.close();
});

/** Runs the CLI without blocking this process, which serves the requests it makes. */
function tonet(args: string[], credentials = { id: ADMIN_ID, secret: ADMIN_SECRET }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'client', ...args, '--server', server.url, '--client-id', credentials.id, '--client-secret', credentials.secret], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const secretOf = (stdout: string) => /client_secret: (\S+)/.exec(stdout)?.[1] ?? '';
const idOf = (stdout: string) => /client_id: +(\S+)/.exec(stdout)?.[1] ?? '';

test('create prints the secret once; list shows the client; rotate and deactivate end what came before', async () => {
  const created = await tonet(['create', '--name', '利根 検査 gateway', '--role', 'gateway', '--organization', 'Organization/lab-1']);
  expect(created.status).toBe(0);
  const id = idOf(created.stdout);
  const secret = secretOf(created.stdout);
  const firstToken = await server.token(id, secret);

  const listed = await tonet(['list']);
  expect(listed.status).toBe(0);
  const [header, ...rows] = listed.stdout.trimEnd().split('\n');
  expect(header.split(/\s{2,}/)).toEqual(['CLIENT ID', 'NAME', 'ROLE', 'FACILITY', 'ACTIVE', 'CREATED']);
  const row = rows.find((line) => line.startsWith(id));
  expect(row?.split(/\s{2,}/)).toEqual([id, '利根 検査 gateway', 'gateway', 'Organization/lab-1', 'yes', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]);
  expect(listed.stdout).not.toContain(secret);

  const rotated = await tonet(['rotate', id]);
  expect(rotated.status).toBe(0);
  const newSecret = secretOf(rotated.stdout);
  expect(newSecret).not.toBe(secret);
  await expect(server.token(id, secret)).rejects.toThrow(/401/);
  expect((await fetch(`${server.fhirUrl}/Organization`, { headers: { authorization: `Bearer ${firstToken}` } })).status).toBe(401);
  const secondToken = await server.token(id, newSecret);

  const deactivated = await tonet(['deactivate', id]);
  expect(deactivated.status).toBe(0);
  expect(deactivated.stdout).toMatch(new RegExp(`deactivated ${id}`));
  expect((await fetch(`${server.fhirUrl}/Organization`, { headers: { authorization: `Bearer ${secondToken}` } })).status).toBe(401);
  expect((await tonet(['list'])).stdout.split('\n').find((line) => line.startsWith(id))?.split(/\s{2,}/)[4]).toBe('no');
});

test('a refusal exits 1 with the server reason; a usage error exits 2', async () => {
  const again = await tonet(['deactivate', 'no-such-client']);
  expect(again.status).toBe(1);
  expect(again.stderr).toMatch(/404 no client no-such-client/);
  const wrongRole = await tonet(['create', '--name', 'x', '--role', 'superuser']);
  expect(wrongRole.status).toBe(1);
  expect(wrongRole.stderr).toMatch(/400 role must be one of/);
  expect((await tonet(['rotate'])).status).toBe(2);
  expect((await tonet(['explode'])).status).toBe(2);
});
