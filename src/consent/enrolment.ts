/**
 * Joining and leaving the network. The network office enrols a resident from the signed participation form:
 * a regional Patient with a new card number (かかりつけ医カード) and an enrolment Consent that records whether
 * emergency use was allowed. Withdrawal makes every Consent of the resident inactive; the grants follow.
 */
import type { Consent, Patient } from '@medplum/fhirtypes';
import { systemContext } from '../auth/context';
import { badRequest, forbidden } from '../fhir/errors';
import { OperationParameters } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import type { OperationHandler } from '../fhir/router';
import { parseQuery } from '../fhir/router';
import { CARD_SYSTEM, EMERGENCY_PURPOSE, ENROLMENT, newCardNumber, PATIENT_CONSENT_LOINC, PRIVACY_SCOPE } from './model';

export const OPT_IN = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] };

export const enrollOperation: OperationHandler = {
  name: 'enroll',
  levels: ['type'],
  resourceTypes: ['Patient'],
  methods: ['POST'],
  async handle({ ctx, repo, request }) {
    if (ctx.role !== 'admin') throw forbidden('Only the network office (admin) enrols residents');
    const params = OperationParameters.from(request.body, 'enroll');
    const form = params.resource<Patient>('patient', 'Patient');
    if (!form) throw badRequest('Parameter "patient" (the resident\'s Patient) is required', ['Parameters.parameter[patient]']);
    const emergencyUse = params.boolean('emergencyUse') ?? false;
    return repo.transaction(async (tx) => {
      const cardNumber = await unusedCardNumber(tx);
      const patient = await tx.create(ctx, {
        ...form,
        id: undefined,
        identifier: [...(form.identifier ?? []).filter((i) => i.system !== CARD_SYSTEM), { system: CARD_SYSTEM, value: cardNumber }],
        active: true,
      } as Patient);
      const consent: Consent = {
        resourceType: 'Consent',
        status: 'active',
        scope: { coding: [PRIVACY_SCOPE] },
        category: [{ coding: [PATIENT_CONSENT_LOINC] }, { coding: [ENROLMENT] }],
        patient: { reference: `Patient/${patient.id}` },
        dateTime: new Date().toISOString(),
        policyRule: OPT_IN,
        provision: {
          type: 'permit',
          // The participation form's answer on emergency use, as a nested provision on the ETREAT purpose.
          provision: [{ type: emergencyUse ? 'permit' : 'deny', purpose: [EMERGENCY_PURPOSE] }],
        },
      };
      await tx.create(ctx, consent);
      return { status: 201, resource: patient, headers: { Location: `Patient/${patient.id}` } };
    });
  },
};

export const withdrawOperation: OperationHandler = {
  name: 'withdraw',
  levels: ['instance'],
  resourceTypes: ['Patient'],
  methods: ['POST'],
  async handle({ ctx, repo, id }) {
    if (ctx.role !== 'admin') throw forbidden('Only the network office (admin) records a withdrawal');
    return repo.transaction(async (tx) => {
      await tx.read(ctx, 'Patient', id as string);
      const consents = await consentsOf(tx, id as string);
      for (const consent of consents.filter((c) => c.status === 'active')) await tx.update(ctx, { ...consent, status: 'inactive' });
      return {
        status: 200,
        resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `Patient/${id} withdrawn: ${consents.length} consents inactive` }] },
      };
    });
  },
};

export async function consentsOf(repo: Repository, patientId: string): Promise<Consent[]> {
  const page = await repo.search(systemContext(), { ...parseQuery('Consent', { patient: `Patient/${patientId}`, _count: '1000' }), total: 'none' });
  return page.matches.map((m) => JSON.parse(m.content) as Consent);
}

/** The regional Patient holding a card number, if any. */
export async function patientByCard(repo: Repository, cardNumber: string): Promise<Patient | undefined> {
  const page = await repo.search(systemContext(), { ...parseQuery('Patient', { identifier: `${CARD_SYSTEM}|${cardNumber}` }), total: 'none' });
  return page.matches[0] ? (JSON.parse(page.matches[0].content) as Patient) : undefined;
}

async function unusedCardNumber(repo: Repository): Promise<string> {
  for (;;) {
    const candidate = newCardNumber();
    if (!(await patientByCard(repo, candidate))) return candidate;
  }
}
