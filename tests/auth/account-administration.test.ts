/**
 * The office's account administration records its own audit entry for each change it makes — once, with who
 * made it, from where, and the Practitioner or Patient the account is bound to — and none for a change it
 * refuses. Driven at the domain layer, over the server's account store, with a trail that keeps its entries.
 */
import { AccountAdministration } from '../../src/auth/account-administration';
import type { FacilityAssignment } from '../../src/auth/accounts';
import { startTestServer, type TestServer } from '../support/server';
import { callerContext, RecordingTrail } from '../support/recording-trail';

let server: TestServer;
const trail = new RecordingTrail();
const revoked: string[] = [];
const directory: Record<string, FacilityAssignment[]> = { 'Practitioner/dir-1': [{ organization: 'Organization/from-roles', role: 'nurse' }] };
let administration: AccountAdministration;
const office = callerContext('admin', { clientId: 'office-desk' });

beforeAll(async () => {
  server = await startTestServer();
  administration = new AccountAdministration(server.tonet.accounts, trail, async (id) => void revoked.push(id), async (practitioner) => directory[practitioner] ?? []);
});
afterAll(async () => server?.close());
beforeEach(() => trail.take());

test('creating an account appends one account-change entry naming the office, its address and the Practitioner', async () => {
  const { account } = await administration.create(office, { kind: 'practitioner', username: 'adm.create', name: '作成 医師', practitioner: 'Practitioner/adm-1', facilities: [{ organization: 'Organization/adm-clinic', role: 'doctor' }] });
  expect(trail.take()).toEqual([
    { ctx: office, action: 'account-change', patientIds: [], entities: ['Practitioner/adm-1'], outcome: '0', description: 'account adm.create (practitioner) created', remoteAddress: '203.0.113.7' },
  ]);
  expect(account).toMatchObject({ username: 'adm.create', status: 'active' });
});

test("a practitioner's account without facilities takes them from the directory", async () => {
  const { account } = await administration.create(office, { kind: 'practitioner', username: 'adm.directory', name: '名簿 看護師', practitioner: 'Practitioner/dir-1' });
  expect(account.facilities).toEqual(directory['Practitioner/dir-1']);
  expect(trail.take().map((e) => e.description)).toEqual(['account adm.directory (practitioner) created']);
});

test("suspending ends the person's logins and appends one entry; a resident's names their Patient", async () => {
  const { account } = await administration.create(office, { kind: 'resident', username: 'adm.resident', name: '住民', patient: 'Patient/adm-res' });
  trail.take();
  const suspended = await administration.change(office, account.id, 'suspend');
  expect(suspended.status).toBe('suspended');
  expect(revoked).toContain(account.id);
  expect(trail.take()).toEqual([
    { ctx: office, action: 'account-change', patientIds: [], entities: ['Patient/adm-res'], outcome: '0', description: 'account adm.resident: suspend', remoteAddress: '203.0.113.7' },
  ]);
  const revokedBefore = revoked.length;
  await administration.change(office, account.id, 'reactivate');
  expect(revoked.length).toBe(revokedBefore);
  expect(trail.take().map((e) => e.description)).toEqual(['account adm.resident: reactivate']);
});

test('a change refused — not the office, an unknown change, an unknown account — appends nothing', async () => {
  const { account } = await administration.create(office, { kind: 'office', username: 'adm.refused', name: '事務局' });
  trail.take();
  const clinician = callerContext('clinician', { organization: 'Organization/adm-clinic' });
  await expect(administration.create(clinician, { kind: 'office', username: 'adm.not', name: 'x' })).rejects.toMatchObject({ status: 403 });
  await expect(administration.change(clinician, account.id, 'suspend')).rejects.toMatchObject({ status: 403 });
  await expect(administration.list(clinician)).rejects.toMatchObject({ status: 403 });
  await expect(administration.change(office, account.id, 'promote')).rejects.toMatchObject({ status: 404 });
  await expect(administration.change(office, 'no-such-account', 'unlock')).rejects.toMatchObject({ status: 404 });
  expect(trail.take()).toEqual([]);
  expect((await server.tonet.accounts.byId(account.id))!.status).toBe('active');
});
