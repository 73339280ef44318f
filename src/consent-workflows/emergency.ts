/**
 * Emergency access (救急時閲覧). During emergency transport a team with no consent may see a small, fixed
 * subset: the resident's registered emergency information, allergies, and core-hospital prescriptions of the
 * last six months, if the resident allowed emergency use when enrolling. Nothing else opens up: ordinary
 * searches by the same client still see nothing of the patient. Every use is audited with its reason, and
 * the resident's family-doctor facility is told by a Communication.
 *
 * A declaration is time-boxed: it opens that subset of that resident to the declaring client for
 * EMERGENCY_WINDOW (the summary says until when), during which `Patient/{id}/$emergency-summary` refreshes it
 * without the card (the card often stays with the patient at the hospital door); then it is closed, and only a
 * new declaration (card or exact name, counted by the rate limit) opens it again.
 */
import type { Basic, Bundle, Communication, Consent, HumanName, Organization, Patient, Resource } from '@medplum/fhirtypes';
import { RequestContext, systemActor } from '../core/context';
import { patientsOf } from '../core/compartments';
import type { AuditSink } from '../audit/types';
import { badRequest, forbidden, FhirError, outcome, recordedRefusal, tooManyRequests } from '../core/errors';
import { OperationParameters } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import { OperationHandler, parseQuery } from '../fhir/router';
import { CARD_DIGEST_SYSTEM } from '../consent/card';
import { consentsOf, patientByCard } from './enrolment';
import { isKind } from '../consent/grants';
import { EMERGENCY_CAPABLE_TYPES, EMERGENCY_PURPOSE, ENROLMENT, FACILITY_TYPE_SYSTEM } from '../consent/model';
import { lockUntilCommit } from '../store/connection';
import { declareEmergency, emergencySubset, openDeclaration } from '../store/read-models/emergency-subset';

/** Basic.code of the resident's emergency information (contacts, family doctor, notes). */
export const EMERGENCY_INFO_CODE = { system: 'urn:tonet:resource-kind', code: 'emergency-info', display: '救急時情報' };
export const FAMILY_DOCTOR_EXTENSION = 'urn:tonet:extension:family-doctor';
const PRESCRIPTION_WINDOW_MONTHS = 6;

export function emergencySummaryOperation(audit: AuditSink): OperationHandler {
  return {
    name: 'emergency-summary',
    levels: ['type', 'instance'],
    resourceTypes: ['Patient'],
    methods: ['POST'],
    async handle({ ctx, repo, request, id }) {
      const params = OperationParameters.from(request.body, 'emergency-summary');
      const reason = params.requiredString('reason');
      if (id) return { status: 200, resource: await reopenedSummary(repo, audit, ctx, id, reason), audited: true };
      const cardNumber = params.string('cardNumber');
      const name = params.string('name');
      const birthDate = params.date('birthDate');
      const summary = await emergencySummary(repo, audit, ctx, { cardNumber, name, birthDate, reason });
      return { status: 200, resource: summary, audited: true };
    },
  };
}

export interface EmergencyRequest {
  cardNumber?: string;
  name?: string;
  birthDate?: string;
  reason: string;
}

/** Declarations of emergency access one client may make in the window; a busy ambulance makes a few an hour. */
export const MAX_EMERGENCY_DECLARATIONS = 20;
const DECLARATION_WINDOW = '1 hour';
/** How long one declaration keeps the resident's emergency subset open to the declaring client: one transport and handover. */
export const EMERGENCY_WINDOW = '1 hour';
/** Meta extension of the summary Bundle: when the declaration that opened it closes. */
export const WINDOW_CLOSES_EXTENSION = 'urn:tonet:extension:emergency-window-closes';
const NO_MATCH = 'No enrolled resident who allowed emergency use matches';

/** The emergency subset as a collection Bundle (the regional Patient first); shared by REST and GraphQL. */
export async function emergencySummary(repo: Repository, audit: AuditSink, ctx: RequestContext, request: EmergencyRequest): Promise<Bundle> {
  if (!(await mayDeclareEmergency(repo, ctx))) {
    await audit.record(repo.connection, { ctx, action: 'emergency-access', patientIds: [], entities: [], outcome: '4', description: 'emergency summary refused: not an emergency role', remoteAddress: ctx.remoteAddress });
    throw recordedRefusal(forbidden('The emergency summary is for emergency teams, or clinicians of an emergency-capable facility declaring purpose of use ETREAT'));
  }
  if (!request.reason.trim()) throw badRequest('A reason is required for emergency access', ['reason']);
  const refusal = (tx: Repository, description: string, patientIds: string[] = []) =>
    audit.record(tx.connection, { ctx, action: 'emergency-access', patientIds, entities: [], outcome: '4', description, remoteAddress: ctx.remoteAddress });

  // One transaction under the client's lock: concurrent declarations are counted one after the other, and a
  // refusal's audit entry commits (the refusal is returned, not thrown, so it does not roll back).
  const answer = await repo.transaction(async (tx): Promise<Bundle | FhirError> => {
    await lockUntilCommit(tx.connection, `emergency ${ctx.clientId}`);
    if ((await audit.countRecent(tx.connection, ctx.clientId, 'emergency-access', DECLARATION_WINDOW)) >= MAX_EMERGENCY_DECLARATIONS) {
      await refusal(tx, `emergency summary refused (rate limit): ${request.reason}`);
      return recordedRefusal(tooManyRequests(`At most ${MAX_EMERGENCY_DECLARATIONS} emergency declarations per client in ${DECLARATION_WINDOW}`));
    }
    const patient = await findResident(tx, request);
    const consents = patient ? await consentsOf(tx, patient.id as string) : [];
    const enrolment = consents.find((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active');
    if (!patient || !enrolment || !allowsEmergencyUse(enrolment)) {
      await refusal(tx, `emergency summary refused (${patient ? 'emergency use not allowed' : 'no such resident'}): ${request.reason}`, patient ? [patient.id as string] : []);
      return recordedRefusal(new FhirError(404, outcome('error', 'not-found', NO_MATCH)));
    }
    const closes = await declareEmergency(tx.connection, { clientId: ctx.clientId, organization: ctx.organization, patientId: patient.id as string, reason: request.reason, window: EMERGENCY_WINDOW });
    return summaryOf(tx, audit, ctx, patient, request.reason, closes);
  });
  if (answer instanceof FhirError) throw answer;
  return answer;
}

/**
 * The summary again, by the regional Patient id, for the client whose declaration about that resident is still
 * open; a closed, another client's or no declaration is answered as an unknown resident. The resident's
 * withdrawal or refusal of emergency use since then closes it too.
 */
async function reopenedSummary(repo: Repository, audit: AuditSink, ctx: RequestContext, patientId: string, reason: string): Promise<Bundle> {
  if (!(await mayDeclareEmergency(repo, ctx))) {
    await audit.record(repo.connection, { ctx, action: 'emergency-access', patientIds: [], entities: [], outcome: '4', description: 'emergency summary refused: not an emergency role', remoteAddress: ctx.remoteAddress });
    throw recordedRefusal(forbidden('The emergency summary is for emergency teams, or clinicians of an emergency-capable facility declaring purpose of use ETREAT'));
  }
  const answer = await repo.transaction(async (tx): Promise<Bundle | FhirError> => {
    const closes = await openDeclaration(tx.connection, ctx.clientId, patientId);
    const found = closes ? (await tx.readMany(systemActor('emergency-resident', ctx.requestId), [{ resourceType: 'Patient', id: patientId }]))[0] : undefined;
    const patient = found && !(found instanceof FhirError) ? (found as Patient) : undefined;
    const enrolment = patient ? (await consentsOf(tx, patientId)).find((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active') : undefined;
    if (!closes || !patient || !enrolment || !allowsEmergencyUse(enrolment)) {
      await audit.record(tx.connection, { ctx, action: 'emergency-access', patientIds: [], entities: [], outcome: '4', description: `emergency summary refused (no open declaration): ${reason}`, remoteAddress: ctx.remoteAddress });
      return recordedRefusal(new FhirError(404, outcome('error', 'not-found', NO_MATCH)));
    }
    return summaryOf(tx, audit, ctx, patient, `${reason} (declaration open until ${closes.toISOString()})`, closes, false);
  });
  if (answer instanceof FhirError) throw answer;
  return answer;
}

/** Emergency teams may declare ETREAT; clinicians only at a facility whose type takes emergencies. */
async function mayDeclareEmergency(repo: Repository, ctx: RequestContext): Promise<boolean> {
  if (!ctx.organization) return false;
  if (ctx.role === 'emergency') return true;
  if (ctx.role !== 'clinician' || ctx.purposeOfUse !== 'ETREAT') return false;
  const organization = (await repo.readMany(systemActor('facility-type', ctx.requestId), [{ resourceType: 'Organization', id: ctx.organization.slice('Organization/'.length) }]))[0];
  if (organization instanceof FhirError) return false;
  const types = ((organization as Organization).type ?? []).flatMap((t) => t.coding ?? []).filter((c) => c.system === FACILITY_TYPE_SYSTEM);
  return types.some((c) => EMERGENCY_CAPABLE_TYPES.includes(c.code as string));
}

async function summaryOf(tx: Repository, audit: AuditSink, ctx: RequestContext, patient: Patient, reason: string, closes: Date, declared = true): Promise<Bundle> {
  const since = new Date();
  since.setMonth(since.getMonth() - PRESCRIPTION_WINDOW_MONTHS);
  const { info, allergies, prescriptions } = await emergencySubset(tx.connection, patient.id as string, {
    emergencyInfo: EMERGENCY_INFO_CODE,
    prescribingFacilityType: { system: FACILITY_TYPE_SYSTEM, code: 'core-hospital' },
    prescribedSince: since.toISOString(),
  });
  const entries: Resource[] = [forParamedics(patient), ...info, ...allergies, ...prescriptions];
  // The family doctor hears of each declaration, not of each refresh within it.
  if (declared) await notifyFamilyDoctor(tx, ctx, patient, info[0], reason);
  await audit.record(tx.connection, {
    ctx,
    action: 'emergency-access',
    patientIds: [...new Set([patient.id as string, ...entries.flatMap(patientsOf)])],
    entities: entries.map((e) => `${e.resourceType}/${e.id}`),
    outcome: '0',
    description: `emergency summary: ${reason}`,
    remoteAddress: ctx.remoteAddress,
  });
  return {
    resourceType: 'Bundle',
    meta: { extension: [{ url: WINDOW_CLOSES_EXTENSION, valueInstant: closes.toISOString() }] },
    type: 'collection',
    timestamp: new Date().toISOString(),
    entry: entries.map((resource) => ({ fullUrl: `${resource.resourceType}/${resource.id}`, resource })),
  };
}

/**
 * The card, or the exact full name with the birth date: no prefix or partial names, and two residents who
 * match alike are refused rather than listed or guessed between.
 */
async function findResident(repo: Repository, request: EmergencyRequest): Promise<Patient | undefined> {
  if (request.cardNumber) return patientByCard(repo, request.cardNumber);
  if (!request.name || !request.birthDate) throw badRequest('Give cardNumber, or name and birthDate', ['cardNumber']);
  const wanted = spaceless(request.name);
  if (!wanted) throw badRequest('Give the full name', ['name']);
  const page = await repo.search(systemActor('emergency-resident'), {
    ...parseQuery('Patient', { birthdate: request.birthDate, identifier: `${CARD_DIGEST_SYSTEM}|`, _count: String(SAME_BIRTH_DATE_LIMIT + 1) }),
    total: 'none',
  });
  if (page.matches.length > SAME_BIRTH_DATE_LIMIT) return undefined;
  const matches = page.matches.map((m) => JSON.parse(m.content) as Patient).filter((p) => (p.name ?? []).some((n) => fullNames(n).includes(wanted)));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Residents born on one day beyond which a name search gives up (it could not tell them apart anyway). */
const SAME_BIRTH_DATE_LIMIT = 200;

/** A name as written in either order (family given / given family), without spaces. */
function fullNames(name: HumanName): string[] {
  const family = name.family ?? '';
  const given = (name.given ?? []).join('');
  return [name.text, family + given, given + family].filter((n): n is string => !!n).map(spaceless);
}

function spaceless(name: string): string {
  return name.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}

/** What a paramedic needs of the resident: who they are and whom to call. No identifiers, no address. */
function forParamedics(patient: Patient): Patient {
  const { resourceType, id, meta, name, gender, birthDate, contact } = patient;
  const contacts = contact?.map(({ relationship, name: contactName, telecom }) => ({ relationship, name: contactName, telecom }));
  return { resourceType, id, meta: { versionId: meta?.versionId, lastUpdated: meta?.lastUpdated }, name, gender, birthDate, contact: contacts } as Patient;
}

function allowsEmergencyUse(enrolment: Consent): boolean {
  return (enrolment.provision?.provision ?? []).some((p) => p.type === 'permit' && p.purpose?.some((c) => c.code === EMERGENCY_PURPOSE.code));
}

/** The family-doctor facility (from the emergency information, else Patient.generalPractitioner) is told. */
async function notifyFamilyDoctor(repo: Repository, ctx: RequestContext, patient: Patient, info: Basic | undefined, reason: string): Promise<void> {
  const fromInfo = info?.extension?.find((e) => e.url === FAMILY_DOCTOR_EXTENSION)?.valueReference?.reference;
  const familyDoctor = fromInfo ?? patient.generalPractitioner?.find((g) => g.reference?.startsWith('Organization/'))?.reference;
  if (!familyDoctor) return;
  const communication: Communication = {
    resourceType: 'Communication',
    status: 'completed',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'notification' }] }],
    subject: { reference: `Patient/${patient.id}` },
    sent: new Date().toISOString(),
    recipient: [{ reference: familyDoctor }],
    sender: { reference: ctx.organization },
    payload: [{ contentString: `救急時閲覧 emergency access by ${ctx.clientName} (${ctx.organization}): ${reason}` }],
  };
  // Written as the family doctor's own record, so that facility sees it whatever its consents say.
  await repo.create(systemActor('emergency-notice', ctx.requestId), { ...communication, meta: { source: familyDoctor } });
}
