/**
 * Joining and leaving the network. The network office enrols a resident from the signed participation form:
 * a regional Patient with a new card number (かかりつけ医カード) and an enrolment Consent that records whether
 * emergency use was allowed. Withdrawal makes every Consent of the resident inactive; the grants follow.
 */
import type { Consent, Patient } from '@medplum/fhirtypes';
import { systemActor } from '../core/context';
import { badRequest } from '../core/errors';
import { OperationParameters, parametersOf } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import type { OperationHandler } from '../fhir/router';
import { parseQuery } from '../fhir/router';
import { CARD_DIGEST_SYSTEM, CARD_SECRET_EXTENSION, cardNumberIdentifier, newCardSecret, withCardSecret } from '../consent/card';
import { isKind } from '../consent/grants';
import { CARD_SYSTEM, EMERGENCY_PURPOSE, ENROLMENT, newCardNumber, PATIENT_CONSENT_LOINC, PRIVACY_SCOPE } from '../consent/model';
import { assertMayStart } from '../consent/interactions';

/** Extension of the $enroll answer only: the card secret to print on the card (it is stored as a digest). */
export const PRINTED_CARD_SECRET_EXTENSION = 'urn:tonet:extension:printed-card-secret';

export const OPT_IN = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] };

export const enrollOperation: OperationHandler = {
  name: 'enroll',
  levels: ['type'],
  resourceTypes: ['Patient'],
  methods: ['POST'],
  async handle({ ctx, repo, request }) {
    assertMayStart(ctx, 'enrol');
    const params = OperationParameters.from(request.body, 'enroll');
    const form = params.resource<Patient>('patient', 'Patient');
    if (!form) throw badRequest('Parameter "patient" (the resident\'s Patient) is required', ['Parameters.parameter[patient]']);
    const emergencyUse = params.boolean('emergencyUse') ?? false;
    return repo.transaction(async (tx) => {
      const cardNumber = await unusedCardNumber(tx);
      const cardSecret = newCardSecret();
      const cardSystems = [CARD_SYSTEM, CARD_DIGEST_SYSTEM];
      const patient = (await tx.create(
        ctx,
        await withCardSecret(
          {
            ...form,
            id: undefined,
            identifier: [...(form.identifier ?? []).filter((i) => !cardSystems.includes(i.system as string)), await cardNumberIdentifier(cardNumber)],
            active: true,
          } as Patient,
          cardSecret
        )
      )) as Patient;
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
      return { status: 201, resource: printedCard(patient, cardNumber, cardSecret), headers: { Location: `Patient/${patient.id}` } };
    });
  },
};

export const withdrawOperation: OperationHandler = {
  name: 'withdraw',
  levels: ['instance'],
  resourceTypes: ['Patient'],
  methods: ['POST'],
  async handle({ ctx, repo, id }) {
    assertMayStart(ctx, 'withdraw');
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

/**
 * A new card secret for an enrolled resident (a lost card, or after a revocation so that a facility may link
 * again): asked by the network office or by the resident; the old secret stops working at once.
 */
export const newCardSecretOperation: OperationHandler = {
  name: 'new-card-secret',
  levels: ['instance'],
  resourceTypes: ['Patient'],
  methods: ['POST'],
  async handle({ ctx, repo, id }) {
    assertMayStart(ctx, 'new-card-secret', `Patient/${id}`);
    return repo.transaction(async (tx) => {
      const patient = (await tx.read(ctx, 'Patient', id as string)) as Patient;
      const enrolled = (await consentsOf(tx, id as string)).some((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active');
      if (!enrolled) throw badRequest(`Patient/${id} is not an enrolled resident`);
      const cardSecret = newCardSecret();
      // The resident may not write their Patient otherwise; the server records the new digest for them.
      await tx.update(systemActor('card-secret', ctx.requestId), await withCardSecret(patient, cardSecret));
      return { status: 200, resource: parametersOf({ cardSecret }) };
    });
  },
};

export async function consentsOf(repo: Repository, patientId: string): Promise<Consent[]> {
  const page = await repo.search(systemActor('consent-lookup'), { ...parseQuery('Consent', { patient: `Patient/${patientId}`, _count: '1000' }), total: 'none' });
  return page.matches.map((m) => JSON.parse(m.content) as Consent);
}

/** The regional Patient holding a card number, if any. Only the network office writes card digests. */
export async function patientByCard(repo: Repository, cardNumber: string): Promise<Patient | undefined> {
  const { system, value } = await cardNumberIdentifier(cardNumber);
  const page = await repo.search(systemActor('card-lookup'), { ...parseQuery('Patient', { identifier: `${system}|${value}` }), total: 'none' });
  return page.matches[0] ? (JSON.parse(page.matches[0].content) as Patient) : undefined;
}

/** The card as printed, answered once by $enroll: the number and the secret, never the stored digests. */
function printedCard(patient: Patient, cardNumber: string, cardSecret: string): Patient {
  return {
    ...patient,
    identifier: [...(patient.identifier ?? []).filter((i) => i.system !== CARD_DIGEST_SYSTEM), { system: CARD_SYSTEM, value: cardNumber }],
    extension: [...(patient.extension ?? []).filter((e) => e.url !== CARD_SECRET_EXTENSION), { url: PRINTED_CARD_SECRET_EXTENSION, valueString: cardSecret }],
  };
}

async function unusedCardNumber(repo: Repository): Promise<string> {
  for (;;) {
    const candidate = newCardNumber();
    if (!(await patientByCard(repo, candidate))) return candidate;
  }
}
