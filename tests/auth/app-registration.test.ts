/**
 * Registering a SMART app or backend service, and deactivating one, records its own audit entry — once, with
 * the office that did it and from where — and a refused registration records none. At the domain layer,
 * over an in-memory provider registry.
 */
import { AppRegistration } from '../../src/auth/app-registration';
import type { RegisteredApps } from '../../src/auth/oidc/provider';
import { ClientStore, type NewClient } from '../../src/auth/clients';
import { callerContext, RecordingTrail } from '../support/recording-trail';

const registered = new Map<string, Record<string, unknown>>();
const apps: RegisteredApps = {
  async register(metadata) {
    registered.set(metadata.client_id, metadata);
  },
  async remove(clientId) {
    return registered.delete(clientId);
  },
};
// The client registry's shape check, which needs no database.
const validateClient = (input: NewClient) => ClientStore.prototype.validate(input);
const trail = new RecordingTrail();
const registration = new AppRegistration(apps, trail, validateClient);
const office = callerContext('admin', { clientId: 'office-desk' });

beforeEach(() => trail.take());

test('a public app: registered with the provider, one account-change entry', async () => {
  const app = await registration.register(office, { name: ' 服薬手帳 ', redirect_uris: ['https://app.example/cb'] });
  expect(app).toMatchObject({ kind: 'app', clientId: expect.stringMatching(/^app-/), redirectUris: ['https://app.example/cb'] });
  expect(app.kind === 'app' && app.clientSecret).toBeFalsy();
  expect(registered.get(app.clientId)).toMatchObject({ client_name: '服薬手帳', token_endpoint_auth_method: 'none' });
  expect(trail.take()).toEqual([
    { ctx: office, action: 'account-change', patientIds: [], entities: [], outcome: '0', description: `app ${app.clientId} (服薬手帳) registered`, remoteAddress: '203.0.113.7' },
  ]);
});

test('a backend service: its role and facility in the entry', async () => {
  const service = await registration.register(office, { name: 'Lab system', jwks_uri: 'https://lab.example/jwks', role: 'gateway', organization: 'Organization/lab' });
  expect(service).toEqual({ kind: 'backend-service', clientId: expect.stringMatching(/^svc-/), role: 'gateway', organization: 'Organization/lab' });
  expect(trail.take()).toEqual([
    { ctx: office, action: 'account-change', patientIds: [], entities: [], outcome: '0', description: `backend service ${service.clientId} (Lab system, gateway) registered`, remoteAddress: '203.0.113.7' },
  ]);
});

test('deactivating: one entry; an unknown app is 404 and records nothing', async () => {
  const app = await registration.register(office, { name: 'Short-lived', redirect_uris: ['https://short.example/cb'], confidential: true });
  trail.take();
  await registration.deactivate(office, app.clientId);
  expect(registered.has(app.clientId)).toBe(false);
  expect(trail.take()).toEqual([{ ctx: office, action: 'account-change', patientIds: [], entities: [], outcome: '0', description: `app ${app.clientId} deactivated`, remoteAddress: '203.0.113.7' }]);
  await expect(registration.deactivate(office, app.clientId)).rejects.toMatchObject({ status: 404 });
  await expect(registration.deactivate(office, 'tonet-not-an-app')).rejects.toMatchObject({ status: 404 });
  expect(trail.take()).toEqual([]);
});

test('refused — not the office, a bad field, an office role for a key — registers and records nothing', async () => {
  const before = registered.size;
  await expect(registration.register(callerContext('clinician', { organization: 'Organization/c' }), { name: 'x', redirect_uris: ['https://x.example/cb'] })).rejects.toMatchObject({ status: 403 });
  await expect(registration.register(office, { name: 'x', redirect_uris: ['https://x.example/cb#frag'] })).rejects.toMatchObject({ status: 400 });
  await expect(registration.register(office, { name: 'x', jwks_uri: 'https://x.example/jwks', role: 'admin' })).rejects.toMatchObject({ status: 400 });
  await expect(registration.register(office, { name: 'x', jwks_uri: 'https://x.example/jwks', role: 'gateway' })).rejects.toMatchObject({ status: 400 });
  expect(registered.size).toBe(before);
  expect(trail.take()).toEqual([]);
});
