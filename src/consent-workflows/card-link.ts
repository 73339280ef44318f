/**
 * $link-card: at a facility's first visit the resident shows the かかりつけ医カード. The facility's clinician
 * sends the card number, the card secret printed on it, the facility's own patient number and the resident's
 * birth date. On a match the facility's local Patient is linked to the regional Patient and an active
 * Consent names the facility: from then on it sees the resident's data from other facilities.
 * The card number alone is not enough (it is printed, and an emergency team sees it): the secret is.
 * A revocation sticks: a facility whose Consent was revoked after the card's secret was issued cannot link
 * again with that secret; the resident asks for a new one ($new-card-secret) and shows it.
 * Attempts are counted per client before any check runs, under a lock, so concurrent guesses cannot pass
 * the limit; every refusal gets the same answer whichever check failed, so nothing can be probed.
 */
import type { Consent, Patient } from '@medplum/fhirtypes';
import { RequestContext, systemActor } from '../core/context';
import type { AuditSink } from '../audit/types';
import { GuessAttempts } from '../store/guess-attempts';
import { badRequest, FhirError, outcome, recordedRefusal, tooManyRequests } from '../core/errors';
import { OperationParameters, parametersOf } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import { OperationHandler, parseQuery } from '../fhir/router';
import type { FacilityDirectory } from '../ingest/facility';
import { facilityPatientIdSystem } from '../mapping/common/ids';
import { cardSecretIssued, cardSecretMatches } from '../consent/card';
import { consentsOf, OPT_IN, patientByCard } from './enrolment';
import { isKind } from '../consent/grants';
import { ENROLMENT, FACILITY_ACCESS, isValidCardNumber, PATIENT_CONSENT_LOINC, PRIVACY_SCOPE } from '../consent/model';
import { facilityStarting } from '../consent/interactions';

/** At most this many failed attempts per client in the window, then 429 until the window passes. */
export const MAX_FAILED_ATTEMPTS = 5;
const WINDOW = '15 minutes';

const NO_MATCH = 'No enrolled resident matches this card number, card secret and birth date';

export function linkCardOperation(facilities: FacilityDirectory, audit: AuditSink): OperationHandler {
  return {
    name: 'link-card',
    levels: ['type'],
    resourceTypes: ['Patient'],
    methods: ['POST'],
    async handle({ ctx, repo, request }) {
      // The desk (clerk) links cards as residents show them; so may the clinician they are in front of.
      const organization = facilityStarting(ctx, 'link-card');
      const params = OperationParameters.from(request.body, 'link-card');
      const cardNumber = params.requiredString('cardNumber');
      const cardSecret = params.requiredString('cardSecret');
      const localId = params.requiredString('localId');
      const birthDate = params.date('birthDate');
      if (!birthDate) throw badRequest('Parameter "birthDate" is required', ['Parameters.parameter[birthDate]']);
      const facility = await facilities.resolve(organization);
      if (!facility) throw badRequest(`${organization} has no 10-digit medical institution code identifier`);
      const attempt = await claimAttempt(new GuessAttempts(repo.connection, 'card-link'), ctx.clientId);

      const regional = isValidCardNumber(cardNumber) ? await patientByCard(repo, cardNumber) : undefined;
      const consents = regional ? await consentsOf(repo, regional.id as string) : [];
      const enrolled = consents.some((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active');
      const secretOk = regional ? await cardSecretMatches(regional, cardSecret) : false;
      if (!regional || !enrolled || !secretOk || regional.birthDate !== birthDate || revokedSinceSecret(consents, organization, regional)) {
        await audit.record(repo.connection, { ctx, action: 'link-card', patientIds: [], entities: [], outcome: '4', description: `$link-card refused at ${ctx.organization}`, remoteAddress: ctx.remoteAddress });
        throw recordedRefusal(new FhirError(422, outcome('error', 'not-found', isValidCardNumber(cardNumber) ? NO_MATCH : 'The card number is not valid (12 digits with a check digit)')));
      }

      return repo.transaction(async (tx) => {
        const local = await linkLocalPatient(tx, ctx, regional, facilityPatientIdSystem(facility.code), localId);
        const consent = await facilityConsent(tx, ctx, regional);
        await new GuessAttempts(tx.connection, 'card-link').succeeded(ctx.clientId, attempt);
        await audit.record(tx.connection, {
          ctx,
          action: 'link-card',
          patientIds: [regional.id as string, local.id as string],
          entities: [`Patient/${local.id}`, `Consent/${consent.id}`],
          outcome: '0',
          description: `$link-card: ${ctx.organization} linked to Patient/${regional.id}`,
          remoteAddress: ctx.remoteAddress,
        });
        return { status: 200, resource: parametersOf({ patient: local, consent, regional: `Patient/${regional.id}` }), audited: true };
      });
    },
  };
}

/**
 * Counts this attempt as a failure before anything is checked (a success marks it afterwards): of
 * concurrent guesses, no more than the limit ever get checked. Returns the attempt's time, which names it.
 */
export async function claimAttempt(attempts: GuessAttempts, clientId: string): Promise<string> {
  const attempt = await attempts.claim(clientId, MAX_FAILED_ATTEMPTS, WINDOW);
  if (attempt === undefined) throw tooManyRequests(`Too many failed card links from this client; try again after ${WINDOW}`);
  return attempt;
}

/** Was a facility-access Consent naming this facility revoked after the card's current secret was issued? */
function revokedSinceSecret(consents: Consent[], organization: string, regional: Patient): boolean {
  const issued = cardSecretIssued(regional)?.getTime() ?? 0;
  return consents.some(
    (c) =>
      isKind(c, FACILITY_ACCESS.code as string) &&
      c.status !== 'active' &&
      c.provision?.actor?.some((a) => a.reference?.reference === organization) &&
      new Date(c.meta?.lastUpdated ?? 0).getTime() > issued
  );
}

/** The facility's own record of the resident (from ingest, or made now from the regional one), linked to the regional Patient. */
async function linkLocalPatient(repo: Repository, ctx: RequestContext, regional: Patient, system: string, localId: string): Promise<Patient> {
  const link = { other: { reference: `Patient/${regional.id}` }, type: 'seealso' as const };
  const page = await repo.search(ctx, { ...parseQuery('Patient', { identifier: `${system}|${localId}` }), total: 'none' });
  const existing = page.matches.map((m) => JSON.parse(m.content) as Patient).find((p) => p.meta?.source === ctx.organization);
  if (existing) {
    const others = (existing.link ?? []).filter((l) => l.other?.reference !== link.other.reference);
    return (await repo.update(ctx, { ...existing, link: [...others, link] })).resource as Patient;
  }
  const { name, birthDate, gender, address, telecom } = regional;
  return (await repo.create(ctx, { resourceType: 'Patient', identifier: [{ system, value: localId }], name, birthDate, gender, address, telecom, link: [link] })) as Patient;
}

/** The active facility-access Consent naming this facility; made now when there is none. */
async function facilityConsent(repo: Repository, ctx: RequestContext, regional: Patient): Promise<Consent> {
  const organization = ctx.organization as string;
  const current = (await consentsOf(repo, regional.id as string)).find(
    (c) => isKind(c, FACILITY_ACCESS.code as string) && c.status === 'active' && c.provision?.actor?.some((a) => a.reference?.reference === organization)
  );
  if (current) return current;
  // Written by the server on the card's evidence (clients may not write active Consents), as the facility's own record.
  return (await repo.create(systemActor('card-link-consent', ctx.requestId), {
    resourceType: 'Consent',
    meta: { source: organization },
    status: 'active',
    scope: { coding: [PRIVACY_SCOPE] },
    category: [{ coding: [PATIENT_CONSENT_LOINC] }, { coding: [FACILITY_ACCESS] }],
    patient: { reference: `Patient/${regional.id}` },
    dateTime: new Date().toISOString(),
    organization: [{ reference: organization }],
    sourceAttachment: { title: 'かかりつけ医カード提示 (card presented at the facility)', creation: new Date().toISOString() },
    policyRule: OPT_IN,
    provision: {
      type: 'permit',
      actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { reference: organization } }],
    },
  } as Consent)) as Consent;
}

