/**
 * `tonet account …` against a running server over HTTP (the command's own code, in this process): create
 * prints the password once and it logs in; list shows the people; suspend ends a login's tokens at once;
 * unlock lifts a lockout; offboard is final; every change is in the audit trail; mistakes exit non-zero.
 */
import { runAccountCommand } from '../../src/cli/accounts';
import { sql } from '../../src/core/sql';
import { logInOverHttp } from '../auth/support';
import { ADMIN_ID, ADMIN_SECRET, startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

async function tonetAccount(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const flags: Record<string, unknown> = { server: server.url, 'client-id': ADMIN_ID, 'client-secret': ADMIN_SECRET };
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = /^--(.+)$/.exec(args[i])?.[1];
    if (!flag) positionals.push(args[i]);
    else if (flag === 'totp') flags.totp = true;
    else if (flag === 'facility') flags.facility = [...((flags.facility as string[]) ?? []), args[++i]];
    else flags[flag] = args[++i];
  }
  const status = await runAccountCommand(positionals, flags, (t) => (stdout += t), (t) => (stderr += t));
  return { status, stdout, stderr };
}

test('create, list, suspend, reactivate, unlock and offboard, each audited', async () => {
  const created = await tonetAccount('create', '--kind', 'practitioner', '--username', 'dr.cli', '--name', '山本 医師', '--practitioner', 'Practitioner/dr-cli', '--facility', 'Organization/cli-hospital:doctor', '--facility', 'Organization/cli-clinic:nurse', '--totp');
  expect(created.status).toBe(0);
  const password = /password: (\S+)/.exec(created.stdout)![1];
  expect(created.stdout).toMatch(/totp: +[A-Z2-7]{32}/);
  expect(created.stdout).toMatch(/recovery: ([0-9a-f]{10} ){9}[0-9a-f]{10}\n/);

  const listed = await tonetAccount('list');
  expect(listed.status).toBe(0);
  const [header, ...rows] = listed.stdout.trimEnd().split('\n');
  expect(header.split(/\s{2,}/)).toEqual(['USERNAME', 'NAME', 'KIND', 'FACILITIES', 'STATUS', 'TOTP', 'LOCKED UNTIL']);
  expect(rows.find((r) => r.startsWith('dr.cli'))?.split(/\s{2,}/)).toEqual(['dr.cli', '山本 医師', 'practitioner', 'Organization/cli-hospital:doctor,Organization/cli-clinic:nurse', 'active', 'yes', '-']);
  expect(listed.stdout).not.toContain(password);

  const token = (await logInOverHttp(server, { username: 'dr.cli', password, organization: 'Organization/cli-clinic' })).access_token;
  expect((await fetch(`${server.url}/fhir/Patient`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  expect((await tonetAccount('suspend', 'dr.cli')).stdout).toBe('dr.cli: suspended; its logins and tokens have ended\n');
  expect((await fetch(`${server.url}/fhir/Patient`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  expect((await tonetAccount('reactivate', 'dr.cli')).stdout).toBe('dr.cli: active\n');

  await server.tonet.db.query(sql`UPDATE person_account SET failed_logins = 5, locked_until = now() + interval '15 minutes' WHERE username = 'dr.cli'`);
  expect((await tonetAccount('list')).stdout).toMatch(/dr\.cli .* yes +\d{4}-\d\d-\d\dT/);
  expect((await tonetAccount('unlock', 'dr.cli')).stdout).toBe('dr.cli: active, unlocked\n');
  await expect(logInOverHttp(server, { username: 'dr.cli', password, organization: 'Organization/cli-clinic' })).resolves.toHaveProperty('access_token');

  expect((await tonetAccount('offboard', 'dr.cli')).status).toBe(0);
  const again = await tonetAccount('reactivate', 'dr.cli');
  expect(again).toMatchObject({ status: 1, stderr: expect.stringMatching(/409 an offboarded account stays offboarded/) });

  const audited = await server.tonet.db.query<{ event: string }>(sql`SELECT event FROM audit_event WHERE action = 'account-change' AND event LIKE ${'%dr.cli%'} ORDER BY seq`);
  const descriptions = audited.map((r) => JSON.parse(r.event).entity.find((e: { description?: string }) => e.description).description);
  expect(descriptions).toEqual(['account dr.cli (practitioner) created', 'account dr.cli: suspend', 'account dr.cli: reactivate', 'account dr.cli: unlock', 'account dr.cli: offboard']);
  for (const row of audited) expect(JSON.parse(row.event).agent[0].altId).toBe(ADMIN_ID);
});

test('mistakes exit non-zero with the reason', async () => {
  expect((await tonetAccount('suspend')).status).toBe(2);
  expect((await tonetAccount('create', '--kind', 'practitioner', '--username', 'x.y', '--name', 'X', '--facility', 'hospital')).status).toBe(2);
  expect(await tonetAccount('suspend', 'nobody')).toMatchObject({ status: 1, stderr: 'tonet account suspend: no account nobody\n' });
  const refused = await tonetAccount('create', '--kind', 'resident', '--username', 'r.cli', '--name', '住民');
  expect(refused).toMatchObject({ status: 1, stderr: expect.stringMatching(/400 .*Patient\/<id>/) });
});
