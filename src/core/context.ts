/**
 * Who is asking, on whose behalf and why. Built once per request from the bearer token and passed
 * explicitly to every repository call; nothing reads the caller from a global.
 */
export const ROLES = ['admin', 'gateway', 'clinician', 'clerk', 'emergency', 'resident', 'researcher'] as const;
export type Role = (typeof ROLES)[number];

export interface RequestContext {
  clientId: string;
  clientName: string;
  role: Role;
  /** "Organization/<id>": the facility the client acts for (gateway, clinician, clerk, emergency). */
  organization?: string;
  /** "Patient/<id>": the resident a resident client is bound to. */
  patient?: string;
  /** The person acting through the client ("Practitioner/<id>", "Patient/<id>", "Account/<id>"), when a person logged in. */
  person?: string;
  /** The person's name as the account holds it. */
  personName?: string;
  /** The OpenID Connect grant the token belongs to; revoking it (logout, revocation, suspension) ends the token at once. */
  grantId?: string;
  /** SMART scopes the token was granted (undefined for system clients: no narrowing). */
  scopes?: string[];
  /** HL7 v3 PurposeOfUse code declared for this request (TREAT by default, ETREAT for emergencies). */
  purposeOfUse: string;
  requestId: string;
  remoteAddress?: string;
  /** Set when the server acts on its own (systemActor): why. */
  systemReason?: SystemReason;
}

/**
 * Why the server acts on its own rather than as the caller: one member per act, each saying why no person's
 * consent decision applies there. A system actor's audit entries name it (audit/event.ts), and so does its
 * request id when no request caused the act.
 */
export type SystemReason =
  /** Loading the shipped care-pathway definitions at start: catalogue data, no patient's, and no request yet. */
  | 'pathway-catalogue'
  /** $apply reading the ActivityDefinitions its PlanDefinition names, whose rules the server will run: catalogue data, no patient's. */
  | 'pathway-definitions'
  /** $apply checking that the follow-up clinic it names exists: directory data; the clinic's own Consent decides, at each of its reads, whether it sees the patient. */
  | 'follow-up-clinic'
  /** The pathway rules raising a Flag from a result just stored or a test gone overdue, or ending one a result answered: the Flag is the server's record, and each facility's Consent decides who reads it. */
  | 'pathway-rules'
  /** $acknowledge writing who saw a pathway Flag into it: the Flag is the server's (no facility may PUT it), and the caller read it as itself, so it is of the care team. */
  | 'flag-acknowledgement'
  /** Whether the caller's own facility is a core hospital or takes emergencies, from its Organization's type: a fact about the facility, asked before any patient is named. */
  | 'facility-type'
  /** The facility a client acts for and its 10-digit institution code (the sender of a message, images or a CDA document; the desk linking a card): directory data, no patient's. */
  | 'sending-facility'
  /** Reading a resident's Consents to settle a consent question (card link, emergency use, registration, a new card secret, withdrawal): they are what decides, so they cannot be read through themselves. */
  | 'consent-lookup'
  /** Finding the resident a card number names, before anything grants the asker access: what is checked next (the card's secret, the enrolment's answer on emergency use) decides. */
  | 'card-lookup'
  /** Recording the facility-access Consent a card link creates: showing the card and its secret is the resident's decision, and clients may not write active Consents. */
  | 'card-link-consent'
  /** Recording a new card secret's digest on the resident's Patient, asked by the network office or the resident, who may not write that Patient otherwise. */
  | 'card-secret'
  /** An emergency team finding the resident by exact name and birth date, or by id while its declaration is open: the enrolment's answer on emergency use decides, checked next. */
  | 'emergency-resident'
  /** Telling the family-doctor facility of an emergency access, written as that facility's own record so that it sees the notice whatever its Consents say. */
  | 'emergency-notice'
  /** Writing the hospital's $confirm or $reject into the clinic's Appointment: the ledger says the hospital holds the slot, though it may not see the Appointment without the patient's consent. */
  | 'booking-answer'
  /** The booking ledger marking a Slot busy when a booking claims it and free when the booking ends: the Slot follows a booking the rules allowed, and holds no patient's data. */
  | 'booking-slot'
  /** Asking whether a booking's hospital may read its referral now, by the read decision for a clinician of that hospital: the patient's Consents decide it as for the hospital itself. */
  | 'referral-check'
  /** Naming on the login page the facilities a person may log in for, before anyone is logged in: directory data, no patient's. */
  | 'login-facility-name'
  /** The facilities a practitioner's PractitionerRoles name, for an account the network office creates without listing them: directory data, no patient's. */
  | 'practitioner-facilities';

/**
 * The server acting on its own, for the reason given, with the rights of the network office; acting for no
 * facility, it keeps each resource's supplier (meta.source) as written. `requestId` is the request that
 * caused the act, so the work stays tied to it; an act no request caused is `system:<reason>`.
 */
export function systemActor(reason: SystemReason, requestId = `system:${reason}`): RequestContext {
  return { clientId: 'system', clientName: 'Tonet', role: 'admin', purposeOfUse: 'OPERATIONS', requestId, systemReason: reason };
}
