/**
 * Opening a SMART EHR launch records its own audit entry, as a read of the patient — once, naming the
 * patient, the practitioner's client and address — and a launch refused (not a practitioner, a malformed or
 * unseen patient) opens nothing and records nothing. At the domain layer, over in-memory launch storage.
 */
import { LaunchContexts } from '../../../src/auth/oidc/launch';
import { LaunchOpener } from '../../../src/auth/oidc/launch-opener';
import { notFound } from '../../../src/core/errors';
import type { OidcPayload } from '../../../src/store/oidc-payloads';
import { callerContext, RecordingTrail } from '../../support/recording-trail';

const stored = new Map<string, OidcPayload>();
const launches = new LaunchContexts({
  async upsert(id, payload) {
    stored.set(id, payload);
  },
  async find(id) {
    return stored.get(id);
  },
  async destroy(id) {
    stored.delete(id);
  },
});
const trail = new RecordingTrail();
// The practitioner may see pt-seen only; any other patient is answered as missing, as a read would be.
const opener = new LaunchOpener(launches, trail, async (_ctx, id) => {
  if (id !== 'pt-seen') throw notFound(`Patient/${id} not found`);
  return { resourceType: 'Patient', id };
});
const doctor = callerContext('clinician', { organization: 'Organization/clinic', person: 'Practitioner/dr-1', clientId: 'tonet-console' });

beforeEach(() => trail.take());

test('a launch on a patient the practitioner sees: kept for them, one entry naming the patient', async () => {
  const launch = await opener.open(doctor, 'Patient/pt-seen');
  expect(await launches.find(launch, 'Practitioner/dr-1')).toEqual({ person: 'Practitioner/dr-1', organization: 'Organization/clinic', patient: 'Patient/pt-seen' });
  expect(trail.take()).toEqual([
    { ctx: doctor, action: 'operation', patientIds: ['pt-seen'], entities: ['Patient/pt-seen'], outcome: '0', description: 'SMART EHR launch on Patient/pt-seen', remoteAddress: '203.0.113.7' },
  ]);
});

test('refused launches open nothing and record nothing', async () => {
  const before = stored.size;
  await expect(opener.open(callerContext('clinician', { organization: 'Organization/clinic' }), 'Patient/pt-seen')).rejects.toMatchObject({ status: 403 });
  await expect(opener.open(doctor, 'pt-seen')).rejects.toMatchObject({ status: 400 });
  await expect(opener.open(doctor, 'Patient/pt-other')).rejects.toMatchObject({ status: 404 });
  expect(stored.size).toBe(before);
  expect(trail.take()).toEqual([]);
});
