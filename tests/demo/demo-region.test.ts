/**
 * The demo region, seeded through the public APIs into a fresh server: every facility and resident is
 * there, results from two facilities reach a linked clinician, the diabetes patient has its alert, CT slots
 * are free, and consent still holds (a facility where a card was never shown sees nothing of that resident);
 * what the README's clinician's day needs is there: a resident to link, and a refused message to replay.
 */
import { seedDemoRegion, DemoCredentials } from '../../src/demo/seed';
import { DEMO_PEOPLE, FACILITIES, HISTORY_MONTHS, REFUSED_RESULT, RESIDENTS, TESTS } from '../../src/demo/region';
import { ADMIN_ID, ADMIN_SECRET, startTestServer, TestServer } from '../support/server';

let server: TestServer;
let demo: DemoCredentials;

beforeAll(async () => {
  server = await startTestServer();
  demo = await seedDemoRegion(server.url, { clientId: ADMIN_ID, clientSecret: ADMIN_SECRET });
}, 240_000);

afterAll(async () => server?.close());

async function clinicianToken(facilityKey: string): Promise<string> {
  const client = demo.clients.find((c) => c.facility === facilityKey && c.role === 'clinician')!;
  return server.token(client.clientId, client.clientSecret);
}

async function clinicianOf(facilityKey: string): Promise<(path: string) => Promise<any>> {
  const bearer = await clinicianToken(facilityKey);
  return async (path) => {
    const res = await fetch(`${server.fhirUrl}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    expect(res.status).toBe(200);
    return res.json();
  };
}

test('every facility, its clients and every resident exist, each resident with a printed card', async () => {
  const organizations = await fetch(`${server.fhirUrl}/Organization?_count=50`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(organizations.entry.map((e: any) => e.resource.name).sort()).toEqual(FACILITIES.map((f) => f.name).sort());
  expect(demo.residents).toHaveLength(RESIDENTS.length);
  for (const resident of demo.residents) expect(resident.cardNumber).toMatch(/^\d{12}$/);
  expect(new Set(demo.clients.map((c) => c.role))).toEqual(new Set(['clinician', 'gateway', 'emergency', 'researcher']));
});

test('the first core hospital sees the diabetes patient\'s results from itself and from the lab, and the pathway alert', async () => {
  const hospital = await clinicianOf('tone-central');
  const everything = await hospital(`/${demo.pathwayPatient}/$everything?_count=500`);
  const sources = new Set(everything.entry.filter((e: any) => e.resource.resourceType === 'Observation').map((e: any) => e.resource.meta.source));
  expect(sources.size).toBe(2);
  const flags = await hospital(`/Flag?subject=${demo.pathwayPatient}`);
  expect(flags.entry.map((e: any) => e.resource.code.coding[0].code)).toContain('hba1c-high');
});

test('a facility where the card was never shown sees nothing of that resident', async () => {
  // 山田 太郎 (resident 0) has not been to 加須総合病院.
  const otherHospital = await clinicianOf('kazo-general');
  const everything = await fetch(`${server.fhirUrl}/${demo.pathwayPatient}/$everything`, { headers: { authorization: `Bearer ${await clinicianToken('kazo-general')}` } });
  expect([403, 404]).toContain(everything.status);
  const observations = await otherHospital(`/Observation?subject=${demo.pathwayPatient}`);
  expect(observations.entry ?? []).toHaveLength(0);
});

test('the shared CT scanner has free slots a clinic can see', async () => {
  const clinic = await clinicianOf('kurihashi-clinic');
  const slots = await clinic(`/Slot?schedule=${demo.scannerSchedule}&status=free&_count=1&_total=accurate`);
  expect(slots.total).toBeGreaterThan(0);
});

test('the printed demo people log in with what is printed: password, and the TOTP secret or a recovery code', async () => {
  const { totpCode } = await import('../../src/auth/accounts');
  const { describeDemo } = await import('../../src/demo/seed');
  expect(demo.people.map((p) => p.kind).sort()).toEqual(['office', 'practitioner', 'resident']);
  const printed = describeDemo(demo);
  for (const person of demo.people) {
    expect(printed).toContain(`username ${person.username}, password ${person.password}`);
    const first = await server.tonet.accounts.checkPassword(person.username, person.password);
    expect(first.ok).toBe(true);
    if (person.kind === 'resident') continue;
    expect(printed).toContain(`TOTP secret ${person.totpSecret}`);
    const id = first.ok ? first.account.id : '';
    expect((await server.tonet.accounts.checkSecondFactor(id, totpCode(person.totpSecret!, person.username))).ok).toBe(true);
    expect((await server.tonet.accounts.checkSecondFactor(id, person.recoveryCodes![0])).ok).toBe(true);
  }
  const doctor = (await server.tonet.accounts.byUsername(demo.people.find((p) => p.kind === 'practitioner')!.username))!;
  expect(doctor.facilities.map((f) => f.role)).toEqual(['doctor', 'doctor']);
});

test('the clinic\'s referral letter reached the core hospital as a JP-CLINS document, and no other hospital', async () => {
  const hospital = await clinicianOf('tone-central');
  const references = await hospital(`/DocumentReference?patient=${demo.pathwayPatient}`);
  expect(references.entry.map((e: any) => `DocumentReference/${e.resource.id}`)).toEqual([demo.referral]);
  const reference = references.entry[0].resource;
  const letter = Buffer.from(reference.content[0].attachment.data, 'base64').toString('utf8');
  expect(letter).toContain('<title>診療情報提供書</title>');
  expect(letter).toContain('<name>利根中央病院</name>');
  const document = await hospital(`/${reference.context.related[0].reference}`);
  expect(document.type).toBe('document');
  const composition = document.entry[0].resource;
  expect(composition.type.coding[0].code).toBe('57133-1');
  const conditions = document.entry.filter((e: any) => e.resource.resourceType === 'Condition').map((e: any) => e.resource.code.coding.find((c: any) => c.system.endsWith('ICD10-2013-full'))?.code);
  expect(conditions).toEqual(expect.arrayContaining(['E119']));
  const sender = FACILITIES.find((f) => f.key === 'kurihashi-clinic')!;
  expect(reference.meta.source).toMatch(/^Organization\//);
  const senderOrganization = await hospital(`/${reference.meta.source}`);
  expect(senderOrganization.name).toBe(sender.name);

  const otherHospital = await clinicianOf('kazo-general');
  expect((await otherHospital(`/${demo.referral.split('/')[0]}?_id=${demo.referral.split('/')[1]}`)).entry ?? []).toHaveLength(0);
});

test('the CT study came in over STOW-RS: the clinic that referred sees it and retrieves the image, another hospital cannot', async () => {
  const clinicBearer = await clinicianToken('kurihashi-clinic');
  const clinic = await clinicianOf('kurihashi-clinic');
  const studies = await clinic(`/ImagingStudy?patient=${demo.pathwayPatient}`);
  expect(studies.entry.map((e: any) => `ImagingStudy/${e.resource.id}`)).toEqual([demo.ctStudies[0].imagingStudy]);
  const study = studies.entry[0].resource;
  expect(study.modality[0].code).toBe('CT');
  expect(study.numberOfInstances).toBe(1);
  const { studyInstanceUid, seriesInstanceUid, sopInstanceUid } = demo.ctStudies[0];
  const wado = `${server.url}/dicomweb/studies/${studyInstanceUid}/series/${seriesInstanceUid}/instances/${sopInstanceUid}`;
  const retrieved = await fetch(wado, { headers: { authorization: `Bearer ${clinicBearer}`, accept: 'multipart/related; type="application/dicom"' } });
  expect(retrieved.status).toBe(200);
  const body = Buffer.from(await retrieved.arrayBuffer());
  expect(body.includes(Buffer.from('DICM'))).toBe(true);
  expect(body.includes(Buffer.from('山田^太郎'))).toBe(true);

  const otherBearer = await clinicianToken('kazo-general');
  const hidden = await fetch(wado, { headers: { authorization: `Bearer ${otherBearer}`, accept: 'multipart/related; type="application/dicom"' } });
  expect(hidden.status).toBe(404);
  const otherHospital = await clinicianOf('kazo-general');
  expect((await otherHospital(`/ImagingStudy?patient=${demo.pathwayPatient}`)).entry ?? []).toHaveLength(0);
});

test("the clinician's day in the README: 山本 和子 is linked at neither of the demo doctor's facilities, has results from a hospital and the lab, a CT, and allowed emergency use", async () => {
  const day = demo.residents.find((r) => r.name === '山本 和子')!;
  for (const facilityKey of DEMO_PEOPLE.doctor.facilities) {
    const doctorsFacility = await clinicianOf(facilityKey);
    expect((await doctorsFacility(`/Patient?birthdate=${day.birthDate}&name=${encodeURIComponent('山本')}`)).entry ?? []).toHaveLength(0);
  }
  const hospital = await clinicianOf('kazo-general');
  const everything = await hospital(`/${day.patient}/$everything?_count=500`);
  const observations = everything.entry.filter((e: any) => e.resource.resourceType === 'Observation');
  const sources = new Set(observations.map((e: any) => e.resource.meta.source));
  expect(sources.size).toBe(2);
  expect(observations.filter((e: any) => e.resource.code.coding.some((c: any) => c.code === TESTS[0].code)).length).toBeGreaterThanOrEqual(HISTORY_MONTHS * 2);
  const studies = await hospital(`/ImagingStudy?patient=${day.patient}`);
  expect(studies.entry.map((e: any) => `ImagingStudy/${e.resource.id}`)).toEqual([demo.ctStudies[1].imagingStudy]);
  expect(RESIDENTS.find((r) => `${r.family} ${r.given}` === day.name)!.emergencyUse).toBe(true);
});

test('the HL7 inbox holds the lab result refused for its decimal comma, for the office to correct and replay', async () => {
  const inbox = await fetch(`${server.url}/admin/inbox?status=rejected`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(inbox.items).toHaveLength(1);
  const refused = await fetch(`${server.url}/admin/inbox/${inbox.items[0].id}`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
  expect(JSON.stringify(refused)).toContain(`|${REFUSED_RESULT.written}|`);
});
