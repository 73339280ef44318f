/**
 * Emergency access (救急時閲覧). During emergency transport a team with no consent may see a small, fixed
 * subset: the resident's registered emergency information, allergies, and core-hospital prescriptions of the
 * last six months, if the resident allowed emergency use when enrolling. Nothing else opens up: ordinary
 * searches by the same client still see nothing of the patient. Every use is audited with its reason, and
 * the resident's family-doctor facility is told by a Communication.
 */
import type { Basic, Bundle, Communication, Consent, Patient, Resource } from '@medplum/fhirtypes';
import { RequestContext, systemContext } from '../auth/context';
import { patientIdsOf } from '../audit/rest';
import type { AuditSink } from '../audit/types';
import { sql } from '../db/sql';
import { badRequest, forbidden, FhirError, outcome } from '../fhir/errors';
import { OperationParameters } from '../fhir/parameters';
import type { Repository } from '../fhir/repository';
import { OperationHandler, parseQuery } from '../fhir/router';
import { consentsOf, patientByCard } from './enrolment';
import { isKind, linkedPatientIds } from './grants';
import { EMERGENCY_PURPOSE, ENROLMENT, FACILITY_TYPE_SYSTEM } from './model';

/** Basic.code of the resident's emergency information (contacts, family doctor, notes). */
export const EMERGENCY_INFO_CODE = { system: 'urn:tonet:resource-kind', code: 'emergency-info', display: '救急時情報' };
export const FAMILY_DOCTOR_EXTENSION = 'urn:tonet:extension:family-doctor';
const PRESCRIPTION_WINDOW_MONTHS = 6;

export function emergencySummaryOperation(audit: AuditSink): OperationHandler {
  return {
    name: 'emergency-summary',
    levels: ['type'],
    resourceTypes: ['Patient'],
    methods: ['POST'],
    async handle({ ctx, repo, request }) {
      const params = OperationParameters.from(request.body, 'emergency-summary');
      const reason = params.requiredString('reason');
      const cardNumber = params.string('cardNumber');
      const name = params.string('name');
      const birthDate = params.date('birthDate');
      const summary = await emergencySummary(repo, audit, ctx, { cardNumber, name, birthDate, reason });
      return { status: 200, resource: summary };
    },
  };
}

export interface EmergencyRequest {
  cardNumber?: string;
  name?: string;
  birthDate?: string;
  reason: string;
}

/** The emergency subset as a collection Bundle (the regional Patient first); shared by REST and GraphQL. */
export async function emergencySummary(repo: Repository, audit: AuditSink, ctx: RequestContext, request: EmergencyRequest): Promise<Bundle> {
  const emergencyRole = ctx.role === 'emergency' || (ctx.role === 'clinician' && ctx.purposeOfUse === 'ETREAT');
  if (!emergencyRole || !ctx.organization) {
    await audit.record(repo.db, { ctx, action: 'emergency-access', patientIds: [], entities: [], outcome: '4', description: 'emergency summary refused: not an emergency role', remoteAddress: ctx.remoteAddress });
    throw forbidden('The emergency summary is for emergency teams, or clinicians declaring purpose of use ETREAT');
  }
  if (!request.reason.trim()) throw badRequest('A reason is required for emergency access', ['reason']);
  const patient = await findResident(repo, request);
  const consents = patient ? await consentsOf(repo, patient.id as string) : [];
  const enrolment = consents.find((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active');
  if (!patient || !enrolment || !allowsEmergencyUse(enrolment)) {
    await audit.record(repo.db, {
      ctx,
      action: 'emergency-access',
      patientIds: patient ? [patient.id as string] : [],
      entities: [],
      outcome: '4',
      description: `emergency summary refused (${patient ? 'emergency use not allowed' : 'no such resident'}): ${request.reason}`,
      remoteAddress: ctx.remoteAddress,
    });
    throw new FhirError(404, outcome('error', 'not-found', 'No enrolled resident who allowed emergency use matches'));
  }

  return repo.transaction(async (tx) => {
    const ids = linkedPatientIds(patient.id as string);
    const info = await rows<Basic>(tx, sql`r.resource_type = 'Basic' AND r.compartments && ${ids} AND EXISTS (SELECT 1 FROM sp_token t WHERE t.rid = r.rid AND t.resource_type = 'Basic'
      AND t.code = 'code' AND t.system = ${EMERGENCY_INFO_CODE.system} AND t.value = ${EMERGENCY_INFO_CODE.code})`);
    const allergies = await rows(tx, sql`r.resource_type = 'AllergyIntolerance' AND r.compartments && ${ids}`);
    const since = new Date();
    since.setMonth(since.getMonth() - PRESCRIPTION_WINDOW_MONTHS);
    const prescriptions = await rows(tx, sql`r.resource_type = 'MedicationRequest' AND r.compartments && ${ids}
      AND r.source IN (SELECT 'Organization/' || o.id FROM resource o JOIN sp_token t ON t.rid = o.rid
        WHERE o.resource_type = 'Organization' AND t.resource_type = 'Organization' AND t.code = 'type' AND t.system = ${FACILITY_TYPE_SYSTEM} AND t.value = 'core-hospital')
      AND EXISTS (SELECT 1 FROM sp_date d WHERE d.rid = r.rid AND d.resource_type = 'MedicationRequest' AND d.code = 'authoredon' AND d.hi >= ${since.toISOString()}::timestamptz)`);
    const entries: Resource[] = [patient, ...info, ...allergies, ...prescriptions];
    await notifyFamilyDoctor(tx, ctx, patient, info[0], request.reason);
    await audit.record(tx.db, {
      ctx,
      action: 'emergency-access',
      patientIds: [...new Set([patient.id as string, ...entries.flatMap(patientIdsOf)])],
      entities: entries.map((e) => `${e.resourceType}/${e.id}`),
      outcome: '0',
      description: `emergency summary: ${request.reason}`,
      remoteAddress: ctx.remoteAddress,
    });
    return { resourceType: 'Bundle', type: 'collection', timestamp: new Date().toISOString(), entry: entries.map((resource) => ({ fullUrl: `${resource.resourceType}/${resource.id}`, resource })) };
  });
}

async function findResident(repo: Repository, request: EmergencyRequest): Promise<Patient | undefined> {
  if (request.cardNumber) return patientByCard(repo, request.cardNumber);
  if (!request.name || !request.birthDate) throw badRequest('Give cardNumber, or name and birthDate', ['cardNumber']);
  const page = await repo.search(systemContext(), { ...parseQuery('Patient', { name: request.name, birthdate: request.birthDate, identifier: 'urn:tonet:card-number|' }), total: 'none', count: 2 });
  // Two residents with the same name and birth date cannot be told apart here: refuse rather than guess.
  return page.matches.length === 1 ? (JSON.parse(page.matches[0].content) as Patient) : undefined;
}

function allowsEmergencyUse(enrolment: Consent): boolean {
  return (enrolment.provision?.provision ?? []).some((p) => p.type === 'permit' && p.purpose?.some((c) => c.code === EMERGENCY_PURPOSE.code));
}

async function rows<T extends Resource = Resource>(repo: Repository, where: ReturnType<typeof sql>): Promise<T[]> {
  const found = await repo.db.query<{ content: string }>(sql`SELECT r.content FROM resource r WHERE NOT r.deleted AND ${where} ORDER BY r.last_updated DESC LIMIT 500`);
  return found.map((row) => JSON.parse(row.content) as T);
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
  await repo.create(systemContext(ctx.requestId), { ...communication, meta: { source: familyDoctor } });
}
