/**
 * SMART scopes under GraphQL, as under REST: they only narrow, and the consent service still decides.
 * FHIR GraphQL checks the type each read or search touches (root fields, references and reverse
 * references alike, so `patient/Observation.rs` cannot reach a Condition through an Observation). Each
 * domain field names the REST interactions it stands for; a scoped token may use only the fields whose
 * interactions its scopes cover, and a field missing from the table is refused to scoped tokens.
 */
import type { MiddlewareFn } from 'type-graphql';
import type { RequestContext } from '../../core/context';
import { assertScopesAllow, type Interaction } from '../../consent/scopes';
import { forbidden } from '../../core/errors';

type Needs = [resourceType: string, interaction: Interaction][];

const TIMELINE_TYPES = ['Encounter', 'Condition', 'AllergyIntolerance', 'MedicationRequest', 'MedicationAdministration', 'Immunization', 'Observation', 'ImagingStudy', 'DocumentReference'];

/** What each root field of the domain schema reads or writes, in REST terms (operations as their type's read, as in the router). */
export const DOMAIN_FIELD_SCOPES: Record<string, Needs> = {
  patientTimeline: [['Patient', 'r'], ...TIMELINE_TYPES.map((t): [string, Interaction] => [t, 's'])],
  labTrend: [['Observation', 's']],
  emergencySummary: [['Patient', 'r']],
  cohortStatistics: [['*', 's']],
  myRecord: [['Patient', 'r'], ['Observation', 's'], ['Basic', 's'], ['Consent', 's'], ['AuditEvent', 's']],
  recordVitals: [['Observation', 'c']],
  updateEmergencyInfo: [['Basic', 'c'], ['Basic', 'u']],
  linkCard: [['Patient', 'r']],
  revokeConsent: [['Consent', 'u']],
  freeSlots: [['Slot', 's']],
  myBookings: [['Appointment', 's']],
  bookExam: [['Appointment', 'r']],
  cancelBooking: [['Appointment', 'r']],
  confirmBooking: [['Appointment', 'r']],
  rejectBooking: [['Appointment', 'r']],
  pathwayDashboard: [['CarePlan', 's'], ['Flag', 's'], ['Observation', 's']],
  pathwayOutcomes: [['CarePlan', 's']],
  resourceChanged: [['*', 'r']],
  alertRaised: [['Flag', 's']],
};

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** The domain schema's global middleware: a scoped token's root field must be covered by its scopes. */
export const domainScopeGuard: MiddlewareFn<{ ctx: RequestContext }> = async ({ context, info }, next) => {
  if (context.ctx.scopes && ROOT_TYPES.has(info.parentType.name)) {
    const needs = DOMAIN_FIELD_SCOPES[info.fieldName];
    if (!needs) throw forbidden(`${info.fieldName} is not available to a token with SMART scopes`);
    for (const [resourceType, interaction] of needs) assertScopesAllow(context.ctx, resourceType, interaction);
  }
  return next();
};
