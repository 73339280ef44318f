/**
 * Consent cost (issue 5): the searches of step 3 as the network office (admin, no filter) and as a clinician
 * of a clinic that holds grants for the patients searched, so the access predicate is in every WHERE.
 *
 * The consent state is built through the API as the region builds it: the five facilities are Organizations
 * with their 10-digit codes and facility types; the network office enrols the first BENCH_CONSENT_SHARE of
 * the patients (a card (number digest and secret digest) on the regional Patient and an enrolment Consent); the clinic's gateway sends
 * its own record of each (a local Patient with the clinic's patient number and a visit); the clinic's
 * clinician shows each card ($link-card), which links the local record and writes the facility Consent.
 * The clinician then sees its own data, and the regional data of the linked half through access_grant.
 */
import type { Bundle, Consent, Patient } from '@medplum/fhirtypes';
import type { Pool } from 'pg';
import { OPT_IN } from '../src/consent-workflows/enrolment';
import { cardNumberIdentifier, cardSecretExtension, newCardSecret } from '../src/consent/card';
import { EMERGENCY_PURPOSE, ENROLMENT, newCardNumber, PATIENT_CONSENT_LOINC, PRIVACY_SCOPE } from '../src/consent/model';
import { facilityPatientIdSystem } from '../src/mapping/common/ids';
import { clientToken, createFacility, expectStatus, timedSearch, transaction } from './api';
import { FACILITY_CODES } from './codes';
import { CpuMeter, CpuSplit, describeCpu } from './cpu';
import { BenchOptions } from './options';
import { searchKinds } from './latency';
import { Prng } from './prng';
import { log, Progress } from './progress';
import type { ServerProcess } from './server-process';
import { LatencySummary, summarize } from './stats';

/** The type of each of FACILITY_CODES' facilities. */
export const FACILITY_TYPES = ['core-hospital', 'clinic', 'clinic', 'lab'] as const;
const CLINIC_CODE = '1319990001';
const PATIENTS_PER_REQUEST = 100;
const WARM_UP = 20;

export interface ConsentState {
  clinic: string;
  clinicianToken: string;
  /** Patients 0 … linkedPatients-1 are enrolled and linked at the clinic. */
  linkedPatients: number;
  grants: number;
  setupSeconds: number;
}

export interface ConsentSearchResult {
  key: string;
  example: string;
  admin: LatencySummary;
  clinician: LatencySummary;
  /** Clinician over admin, minus one. */
  p50Overhead: number;
  p99Overhead: number;
  adminMeanMatches: number;
  clinicianMeanMatches: number;
}

export interface ConsentCost {
  linkedPatients: number;
  patients: number;
  grants: number;
  setupSeconds: number;
  searches: ConsentSearchResult[];
  cpu: CpuSplit;
}

export async function setUpConsent(options: BenchOptions, server: ServerProcess, pool: Pool, patientIds: string[]): Promise<ConsentState> {
  const started = Date.now();
  const share = Number(process.env.BENCH_CONSENT_SHARE ?? '0.5');
  if (!(share > 0 && share <= 1)) throw new Error('BENCH_CONSENT_SHARE must be in (0, 1]');
  const linkedPatients = Math.max(1, Math.round(options.patients * share));
  for (const [i, code] of FACILITY_CODES.entries()) await createFacility(server, code, FACILITY_TYPES[i], `ベンチ施設${i + 1}`);
  const clinic = await createFacility(server, CLINIC_CODE, 'clinic', 'ベンチ連携クリニック');
  const gatewayToken = await clientToken(server, { name: 'bench clinic gateway', role: 'gateway', organization: clinic });
  const clinicianToken = await clientToken(server, { name: 'bench clinic clinician', role: 'clinician', organization: clinic });

  const progress = new Progress('consent set-up (enrol, clinic records, $link-card)', linkedPatients, 'patients');
  const cards: { cardNumber: string; cardSecret: string; birthDate: string }[] = new Array(linkedPatients);
  const localSystem = facilityPatientIdSystem(CLINIC_CODE);
  for (let first = 0; first < linkedPatients; first += PATIENTS_PER_REQUEST) {
    const ids = patientIds.slice(first, Math.min(linkedPatients, first + PATIENTS_PER_REQUEST));
    const page = await expectStatus<Bundle>(200, server, server.token, 'GET', `/fhir/Patient?_id=${ids.join(',')}&_count=${ids.length}`);
    const byId = new Map((page.entry ?? []).map((e) => [e.resource?.id, e.resource as Patient]));
    // The network office: the card (number digest and secret digest) on the regional Patient and the enrolment Consent, one transaction.
    const printed = await Promise.all(ids.map(async () => {
      const cardNumber = newCardNumber();
      const cardSecret = newCardSecret();
      return { cardNumber, cardSecret, identifier: await cardNumberIdentifier(cardNumber), secret: await cardSecretExtension(cardSecret) };
    }));
    await transaction(server, server.token, ids.flatMap((id, k) => {
      const patient = byId.get(id);
      if (!patient) throw new Error(`Patient/${id} not found for enrolment`);
      const { cardNumber, cardSecret, identifier, secret } = printed[k];
      cards[first + k] = { cardNumber, cardSecret, birthDate: patient.birthDate as string };
      const enrolment: Consent = {
        resourceType: 'Consent',
        status: 'active',
        scope: { coding: [PRIVACY_SCOPE] },
        category: [{ coding: [PATIENT_CONSENT_LOINC] }, { coding: [ENROLMENT] }],
        patient: { reference: `Patient/${id}` },
        dateTime: new Date().toISOString(),
        policyRule: OPT_IN,
        provision: { type: 'permit', provision: [{ type: 'permit', purpose: [EMERGENCY_PURPOSE] }] },
      };
      return [
        { resource: { ...patient, identifier: [...(patient.identifier ?? []), identifier], extension: [...(patient.extension ?? []), secret] }, request: { method: 'PUT' as const, url: `Patient/${id}` } },
        { resource: enrolment, request: { method: 'POST' as const, url: 'Consent' } },
      ];
    }));
    // The clinic's gateway: its own record of each patient and a visit, supplied as the clinic.
    await transaction(server, gatewayToken, ids.flatMap((id, k) => {
      const patient = byId.get(id) as Patient;
      const fullUrl = `urn:uuid:00000000-0000-4000-8000-${String(first + k).padStart(12, '0')}`;
      return [
        { fullUrl, resource: { resourceType: 'Patient', identifier: [{ system: localSystem, value: `C-${first + k}` }], name: patient.name, gender: patient.gender, birthDate: patient.birthDate }, request: { method: 'POST' as const, url: 'Patient' } },
        { resource: { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: fullUrl }, period: { start: '2025-10-01T09:00:00+09:00', end: '2025-10-01T09:20:00+09:00' } }, request: { method: 'POST' as const, url: 'Encounter' } },
      ];
    }));
    // The clinic's clinician, card in hand, one card at a time: the attempt limit counts attempts still in
    // flight as failed (card-link.ts), so more than five at once from one client are refused with 429.
    for (let k = 0; k < ids.length; k++) await linkCard(server, clinicianToken, cards[first + k], `C-${first + k}`);
    progress.update(first + ids.length);
  }
  const [{ n }] = (await pool.query<{ n: string }>('SELECT count(*) AS n FROM access_grant WHERE organization = $1', [clinic])).rows;
  const grants = Number(n);
  await pool.query('VACUUM ANALYZE');
  const setupSeconds = (Date.now() - started) / 1000;
  progress.done(`${linkedPatients.toLocaleString('en-US')} patients linked at ${clinic}, ${grants.toLocaleString('en-US')} access grants`);
  return { clinic, clinicianToken, linkedPatients, grants, setupSeconds };
}

/** A facility's clinician shows the resident's card: links the local record `localId` and writes the facility Consent. */
export async function linkCard(server: ServerProcess, token: string, card: { cardNumber: string; cardSecret: string; birthDate: string }, localId: string): Promise<void> {
  await expectStatus(200, server, token, 'POST', '/fhir/Patient/$link-card', {
    resourceType: 'Parameters',
    parameter: [
      { name: 'cardNumber', valueString: card.cardNumber },
      { name: 'cardSecret', valueString: card.cardSecret },
      { name: 'localId', valueString: localId },
      { name: 'birthDate', valueDate: card.birthDate },
    ],
  });
}

/**
 * Step 3's search kinds, drawn only from the linked patients (region-wide kinds stay region-wide: the
 * clinician's answers then hold the linked half), each sample asked by admin and clinician in alternating order.
 */
export async function measureConsentCost(options: BenchOptions, server: ServerProcess, state: ConsentState, patientIds: string[]): Promise<ConsentCost> {
  const cpu = new CpuMeter(server.pid, options.database);
  const searches: ConsentSearchResult[] = [];
  for (const kind of searchKinds({ ...options, patients: state.linkedPatients }, patientIds)) {
    const rng = new Prng(options.seed ^ 0x5eed ^ kind.key.length);
    const admin: number[] = [];
    const clinician: number[] = [];
    let adminMatches = 0;
    let clinicianMatches = 0;
    let example = '';
    const progress = new Progress(`consent cost ${kind.key}`, options.samples, 'samples');
    for (let i = -WARM_UP; i < options.samples; i++) {
      const { http } = kind.sample(rng);
      example ||= http;
      const asAdmin = () => timedSearch(server, server.token, http);
      const asClinician = () => timedSearch(server, state.clinicianToken, http);
      // Alternate who goes first, so neither always finds the other's pages in cache.
      let a, c;
      if (i % 2 === 0) {
        a = await asAdmin();
        c = await asClinician();
      } else {
        c = await asClinician();
        a = await asAdmin();
      }
      if (i < 0) continue;
      admin.push(a.ms);
      clinician.push(c.ms);
      adminMatches += a.count;
      clinicianMatches += c.count;
      progress.update(i + 1);
    }
    const result: ConsentSearchResult = {
      key: kind.key,
      example,
      admin: summarize(admin),
      clinician: summarize(clinician),
      p50Overhead: 0,
      p99Overhead: 0,
      adminMeanMatches: adminMatches / options.samples,
      clinicianMeanMatches: clinicianMatches / options.samples,
    };
    result.p50Overhead = result.clinician.p50 / result.admin.p50 - 1;
    result.p99Overhead = result.clinician.p99 / result.admin.p99 - 1;
    progress.done(`p50 ${result.admin.p50.toFixed(2)} → ${result.clinician.p50.toFixed(2)} ms, p99 ${result.admin.p99.toFixed(2)} → ${result.clinician.p99.toFixed(2)} ms`);
    searches.push(result);
  }
  const split = cpu.read();
  log(`consent cost: ${describeCpu(split)}`);
  return { linkedPatients: state.linkedPatients, patients: options.patients, grants: state.grants, setupSeconds: state.setupSeconds, searches, cpu: split };
}
