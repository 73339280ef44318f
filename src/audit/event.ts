/**
 * An audit entry as a FHIR R4 AuditEvent (the IHE BALP shape: type, subtype, action, outcome, purpose of use,
 * the requesting agent with its facility and network address, Tonet as source, patients and resources as
 * entities). Pure: the id is the chain position and is added when the event is served.
 */
import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import type { AuditAction, AuditEntry } from './types';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const REST_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const TONET_SUBTYPE = 'https://tonet.example/fhir/CodeSystem/audit-subtype';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
export const TONET_ROLE = 'https://tonet.example/fhir/CodeSystem/client-role';
export const TONET_CLIENT = 'https://tonet.example/fhir/client-id';
/** agent.policy of the server acting on its own: this prefix and the SystemReason (core/context.ts). */
const SYSTEM_REASON_POLICY = 'urn:tonet:system-reason:';

const REST: Coding = { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' };
const PATIENT_RECORD: Coding = { system: DCM, code: '110110', display: 'Patient Record' };
const SECURITY_ALERT: Coding = { system: DCM, code: '110113', display: 'Security Alert' };
const USER_AUTHENTICATION: Coding = { system: DCM, code: '110114', display: 'User Authentication' };

/** What kind of event each action is, its subtype, and its C/R/U/D/E action code. */
const KINDS: Record<AuditAction, { type: Coding; subtype: Coding; action: AuditEvent['action'] }> = {
  read: { type: REST, subtype: { system: REST_INTERACTION, code: 'read' }, action: 'R' },
  vread: { type: REST, subtype: { system: REST_INTERACTION, code: 'vread' }, action: 'R' },
  search: { type: REST, subtype: { system: REST_INTERACTION, code: 'search' }, action: 'E' },
  history: { type: REST, subtype: { system: REST_INTERACTION, code: 'history' }, action: 'R' },
  create: { type: REST, subtype: { system: REST_INTERACTION, code: 'create' }, action: 'C' },
  update: { type: REST, subtype: { system: REST_INTERACTION, code: 'update' }, action: 'U' },
  patch: { type: REST, subtype: { system: REST_INTERACTION, code: 'patch' }, action: 'U' },
  delete: { type: REST, subtype: { system: REST_INTERACTION, code: 'delete' }, action: 'D' },
  operation: { type: REST, subtype: { system: REST_INTERACTION, code: 'operation' }, action: 'E' },
  transaction: { type: REST, subtype: { system: REST_INTERACTION, code: 'transaction' }, action: 'E' },
  batch: { type: REST, subtype: { system: REST_INTERACTION, code: 'batch' }, action: 'E' },
  'link-card': { type: PATIENT_RECORD, subtype: { system: TONET_SUBTYPE, code: 'link-card', display: 'Card linked to a regional Patient' }, action: 'U' },
  'emergency-access': { type: PATIENT_RECORD, subtype: { system: TONET_SUBTYPE, code: 'emergency-access', display: 'Emergency summary (break the glass)' }, action: 'R' },
  login: { type: USER_AUTHENTICATION, subtype: { system: DCM, code: '110122', display: 'Login' }, action: 'E' },
  'login-failure': { type: USER_AUTHENTICATION, subtype: { system: DCM, code: '110122', display: 'Login' }, action: 'E' },
  'account-change': { type: SECURITY_ALERT, subtype: { system: TONET_SUBTYPE, code: 'account-change', display: 'User account changed' }, action: 'U' },
  denied: { type: SECURITY_ALERT, subtype: { system: TONET_SUBTYPE, code: 'denied', display: 'Request denied' }, action: 'E' },
};

export function auditEventOf(entry: AuditEntry, recorded: string): AuditEvent {
  const kind = KINDS[entry.action];
  const purpose = entry.ctx?.purposeOfUse;
  const patients = entry.patientIds.map((id) => `Patient/${id}`);
  return {
    resourceType: 'AuditEvent',
    type: kind.type,
    subtype: [kind.subtype],
    action: kind.action,
    recorded,
    outcome: entry.outcome,
    ...(entry.outcome !== '0' ? { outcomeDesc: entry.description } : {}),
    ...(purpose ? { purposeOfEvent: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: purpose }] }] } : {}),
    agent: entry.ctx?.person ? [personAgent(entry.ctx.person, entry.ctx.personName), { ...requestor(entry), requestor: false }] : [requestor(entry)],
    source: { site: 'Tonet', observer: { display: 'Tonet' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
    entity: [
      ...patients.map(patientEntity),
      ...entry.entities.filter((e) => !patients.includes(e)).map(resourceEntity),
      requestEntity(entry),
      ...(entry.ctx?.requestId ? [transactionEntity(entry.ctx.requestId)] : []),
    ],
  };
}

/** IHE BALP's transaction entity: the X-Request-Id, so one request can be followed from proxy logs to here. */
function transactionEntity(requestId: string): AuditEventEntity {
  return { what: { identifier: { value: requestId } }, type: { system: 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType', code: 'XrequestId' } };
}

/**
 * The client that asked: the facility (or resident) it acts for as `who`, the client id as `altId`. The server
 * acting on its own names its reason: in `policy`, R4's "policy or plan that authorized the activity", where a
 * person's Consent would stand; and in its name ("Tonet (pathway-rules)"), which the audit pages show.
 */
function requestor(entry: AuditEntry): AuditEventAgent {
  const ctx = entry.ctx;
  const clientId = ctx?.clientId ?? entry.clientId;
  const actsFor = ctx?.organization ?? ctx?.patient;
  const remote = entry.remoteAddress ?? ctx?.remoteAddress;
  const name = ctx?.systemReason ? `${ctx.clientName} (${ctx.systemReason})` : ctx?.clientName;
  return {
    type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
    ...(ctx ? { role: [{ coding: [{ system: TONET_ROLE, code: ctx.role }] }] } : {}),
    who: actsFor ? { reference: actsFor, display: name } : { identifier: { system: TONET_CLIENT, value: clientId ?? 'unknown' }, display: name },
    ...(clientId ? { altId: clientId } : {}),
    ...(name !== undefined ? { name } : {}),
    requestor: true,
    ...(ctx?.systemReason ? { policy: [`${SYSTEM_REASON_POLICY}${ctx.systemReason}`] } : {}),
    ...(remote ? { network: { address: remote, type: '2' as const } } : {}),
  };
}

/**
 * The person who logged in and asked (IHE BALP: the human user is the requestor; the app becomes a second
 * agent, naming the facility it acted for), so the resident's access log shows both person and facility.
 */
function personAgent(person: string, personName: string | undefined): AuditEventAgent {
  return {
    type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
    who: { reference: person, ...(personName ? { display: personName } : {}) },
    ...(personName ? { name: personName } : {}),
    requestor: true,
  };
}

function patientEntity(reference: string): AuditEventEntity {
  return {
    what: { reference },
    type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
    role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
  };
}

function resourceEntity(reference: string): AuditEventEntity {
  return {
    what: { reference },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
  };
}

/** What was asked, in words; a search or history request also as the query itself (base64, as R4 types it). */
function requestEntity(entry: AuditEntry): AuditEventEntity {
  const query = entry.action === 'search' || entry.action === 'history';
  return {
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: { system: OBJECT_ROLE, code: query ? '24' : '3', display: query ? 'Query' : 'Report' },
    description: entry.description,
    ...(query ? { query: Buffer.from(entry.description, 'utf8').toString('base64') } : {}),
  };
}
