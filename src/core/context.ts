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
}

/** The server acting on its own behalf (start-up, migrations, background jobs). */
export function systemContext(requestId = 'system'): RequestContext {
  return { clientId: 'system', clientName: 'Tonet', role: 'admin', purposeOfUse: 'OPERATIONS', requestId };
}
