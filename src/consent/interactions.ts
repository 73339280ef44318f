/**
 * Who may start each of Tonet's interactions beyond reading and writing resources (those the access policy
 * decides, access.ts), as one table: every role check the server makes outside access.ts is a row here, so
 * a reviewer reads the whole of "who may do what" in one place and no handler decides it on its own. What
 * depends on the data (which hospital answers a booking, whose Consent it is) stays with the data's rules;
 * what depends only on the caller is here.
 */
import type { RequestContext, Role } from '../core/context';
import { forbidden } from '../core/errors';

interface InteractionRule {
  readonly roles: readonly Role[];
  /** The caller must act for a facility (its client or person belongs to one). */
  readonly forFacility?: boolean;
  /** Besides: the network office may start it without a facility (its writes keep the supplier the data names). */
  readonly officeAnywhere?: boolean;
  /** Besides the roles: a resident about their own regional Patient (the subject the handler names). */
  readonly residentAboutThemselves?: boolean;
  /** The refusal's text, which says who may. */
  readonly refusal: (ctx: RequestContext) => string;
}

const rule = (roles: readonly Role[], refusal: string | ((ctx: RequestContext) => string), options: Pick<InteractionRule, 'forFacility' | 'officeAnywhere' | 'residentAboutThemselves'> = {}): InteractionRule => ({
  roles,
  refusal: typeof refusal === 'string' ? () => refusal : refusal,
  ...options,
});

export const INTERACTIONS = {
  // Data arriving from a facility's systems.
  'send-hl7': rule(['gateway', 'admin'], (ctx) => `Client role ${ctx.role} may not send data; a gateway client of a facility is required`, { forFacility: true }),
  'store-images': rule(['gateway', 'admin'], (ctx) => `Client role ${ctx.role} may not store images; a gateway client of a facility is required`, { forFacility: true }),
  // An initial load of a facility's history, or the office loading a region's ($import of NDJSON).
  'bulk-import': rule(['gateway', 'admin'], (ctx) => `Client role ${ctx.role} may not import in bulk; a gateway client of a facility, or the network office, is required`, { forFacility: true, officeAnywhere: true }),
  'import-cda': rule(['gateway', 'clinician'], 'Only a gateway or clinician of the sending facility may import a referral letter', { forFacility: true }),
  // Consent state: enrolment at the office, the card at a facility's desk, the resident's own choices.
  enrol: rule(['admin'], 'Only the network office (admin) enrols residents'),
  withdraw: rule(['admin'], 'Only the network office (admin) records a withdrawal'),
  'new-card-secret': rule(['admin'], 'Only the network office or the resident asks for a new card secret', { residentAboutThemselves: true }),
  'link-card': rule(['clinician', 'clerk'], '$link-card is done by the desk or a clinician of the facility the card is shown at', { forFacility: true }),
  'revoke-consent': rule(['admin', 'clinician', 'clerk', 'resident'], (ctx) => `Role ${ctx.role} may not revoke consents`),
  disclosure: rule(['admin'], 'Only the network office, or the resident for their own record, produces a disclosure copy', { residentAboutThemselves: true }),
  'resident-record': rule(['resident'], 'This is for residents, about themselves'),
  // Care: pathways and exam booking.
  'apply-pathway': rule(['clinician'], 'A pathway is applied by a clinician of a core hospital', { forFacility: true }),
  'overdue-sweep': rule(['admin', 'clinician'], 'The overdue sweep is run by the network office or a clinician'),
  'acknowledge-alert': rule(['clinician', 'admin'], 'Alerts are acknowledged by a clinician of the care team or the network office'),
  'book-exam': rule(['clinician'], 'Exams are booked by a clinician of the referring facility', { forFacility: true }),
  // Research: aggregates only.
  'cohort-statistics': rule(['researcher', 'admin'], 'Cohort statistics are for researchers'),
  // The network office's own desks.
  'manage-clients': rule(['admin'], 'Only an administrator may manage clients'),
  'manage-apps': rule(['admin'], 'Only the network office may register or deactivate apps'),
  'manage-accounts': rule(['admin'], 'Only the network office may manage accounts'),
  'review-inbox': rule(['admin'], 'Only an administrator may read the inbox or replay its messages'),
  'read-metrics': rule(['admin'], 'Only an administrator may read /metrics'),
  'verify-audit-chain': rule(['admin'], 'Only the network office may verify the audit chain'),
} satisfies Record<string, InteractionRule>;

export type Interaction = keyof typeof INTERACTIONS;

/** Whether the caller may start the interaction; `subject` is the regional Patient (`Patient/<id>`) it is about, where a resident may start it about themselves. */
export function mayStart(ctx: RequestContext, interaction: Interaction, subject?: string): boolean {
  const wanted: InteractionRule = INTERACTIONS[interaction];
  if (wanted.residentAboutThemselves && ctx.role === 'resident' && !!ctx.patient && ctx.patient === subject) return true;
  if (!wanted.roles.includes(ctx.role)) return false;
  if (wanted.forFacility && !ctx.organization && !(wanted.officeAnywhere && ctx.role === 'admin')) return false;
  if (ctx.role === 'resident' && !ctx.patient) return false;
  return true;
}

/** As mayStart, refusing with 403 and the rule's text. */
export function assertMayStart(ctx: RequestContext, interaction: Interaction, subject?: string): void {
  if (!mayStart(ctx, interaction, subject)) throw forbidden(INTERACTIONS[interaction].refusal(ctx));
}

/** As assertMayStart for an interaction done for a facility; answers the facility (`Organization/<id>`). */
export function facilityStarting(ctx: RequestContext, interaction: Interaction): string {
  assertMayStart(ctx, interaction);
  if (!ctx.organization) throw forbidden(INTERACTIONS[interaction].refusal(ctx));
  return ctx.organization;
}
