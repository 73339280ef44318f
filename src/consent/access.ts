/**
 * The single decision point for who may see and change what. Every read path asks `readFilter` for a SQL
 * predicate and puts it in its WHERE clause, so paging, totals and includes only ever count what the
 * caller may see. Nothing filters rows after they were fetched.
 *
 * What each role sees:
 * - admin (network office): everything.
 * - gateway: its own facility's data, and directory data (no patient compartment: Organization, Practitioner…).
 * - clinician: its own facility's data; other facilities' data about a patient while an active
 *   facility-access Consent names its facility (access_grant); of Consents, only those naming it; directory data.
 * - clerk (the desk): its own facility's Patient records (to find and register people), its own Consents (who
 *   is linked) and directory data; no clinical data at all. Writes Patients only, and links cards.
 * - emergency: its own data and directory data; the emergency subset comes only through $emergency-summary.
 * - resident: in their own compartment (regional and linked local records), what they entered themselves,
 *   their Patient records, their Consents, their exam bookings (Appointments) and the record of who accessed them;
 *   directory data.
 * - researcher: no resource at all (aggregates only, through the research API).
 */
import { deepEquals } from '@medplum/core';
import type { Consent, Patient, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import { patientsOf } from '../core/compartments';
import { forbidden, notFound } from '../core/errors';
import { CARD_DIGEST_SYSTEM, CARD_SECRET_EXTENSION } from './card';
import type { ReadScope } from '../store/read-scope';
import type { AuditReadScope } from '../store/read-models/audit-events';
import { CARD_SYSTEM } from './model';

/** Resource types that describe the network itself rather than a patient; readable by every clinical role. */
const CONFORMANCE_TYPES = new Set(['CapabilityStatement', 'StructureDefinition', 'SearchParameter', 'ValueSet', 'CodeSystem', 'OperationDefinition', 'CompartmentDefinition', 'ConceptMap']);

/** The network's own namespace of canonical URLs (shipped pathways, their activities and rules). */
const NETWORK_CANONICAL_PREFIX = 'urn:tonet:';

/** What a resident may write about themselves (as in the original network: vitals, allergies, emergency information). */
const RESIDENT_WRITABLE = new Set(['Observation', 'AllergyIntolerance', 'Basic', 'Consent']);
/** What a resident reads beyond their own entries. */
const RESIDENT_READABLE = ['Patient', 'Consent', 'AuditEvent', 'Appointment'];

export class AccessPolicy {
  /** Researchers see aggregates only, through the research API, never records. */
  assertMayRead(ctx: RequestContext, resourceType?: string): void {
    if (ctx.role === 'researcher' && !(resourceType && CONFORMANCE_TYPES.has(resourceType))) {
      throw forbidden('Researchers may not read patient-level data');
    }
  }

  /** May this caller write a resource like this one (create, or the new content of an update)? */
  assertMayWrite(ctx: RequestContext, resource: { resourceType: string }): void {
    if (ctx.role !== 'admin' && resource.resourceType === 'Consent' && (resource as Consent).status === 'active') {
      // Access is granted by showing the card ($link-card, which writes the Consent itself) or by the network
      // office; a client writing an active Consent would grant itself access.
      throw forbidden('An active Consent is recorded by $link-card or by the network office; clients may only revoke (status inactive)');
    }
    if (resource.resourceType === 'Patient') this.assertNoCardMaterial(ctx, resource as Patient);
    const canonical = (resource as { url?: unknown }).url;
    if (ctx.role !== 'admin' && typeof canonical === 'string' && canonical.startsWith(NETWORK_CANONICAL_PREFIX)) {
      // The shipped pathways are found by canonical URL (the newest version wins): a facility publishing its own
      // ActivityDefinition under one would rewrite the rules every care team's alerts follow.
      throw forbidden(`Canonical URLs under ${NETWORK_CANONICAL_PREFIX} are the network's own; only the network office publishes them (url ${canonical})`);
    }
    switch (ctx.role) {
      case 'admin':
        return;
      case 'gateway':
      case 'clinician':
        if (!ctx.organization) throw forbidden(`A ${ctx.role} client without a facility may not write`);
        return;
      case 'clerk':
        if (!ctx.organization || resource.resourceType !== 'Patient') throw forbidden(`The desk (clerk) registers Patients only, not ${resource.resourceType}`);
        return;
      case 'resident':
        if (!RESIDENT_WRITABLE.has(resource.resourceType)) throw forbidden(`Residents may not write ${resource.resourceType}`);
        if (resource.resourceType === 'Consent' ? (resource as Consent).patient?.reference !== ctx.patient : !aboutPatient(resource, ctx.patient)) {
          throw forbidden(`A resident may only write data about themselves (${ctx.patient})`);
        }
        return;
      default:
        throw forbidden(`Role ${ctx.role} may not write ${resource.resourceType}`);
    }
  }

  /**
   * The card number is never stored (only its digest), and card digests are written by the network office
   * alone: a facility writing a Patient with a card's digest would make card look-ups find its record.
   */
  private assertNoCardMaterial(ctx: RequestContext, patient: Patient): void {
    if (patient.identifier?.some((i) => i.system === CARD_SYSTEM)) throw forbidden('Card numbers are issued by Patient/$enroll and never stored in a Patient');
    const cardMaterial = patient.identifier?.some((i) => i.system === CARD_DIGEST_SYSTEM) || patient.extension?.some((e) => e.url === CARD_SECRET_EXTENSION);
    if (cardMaterial && ctx.role !== 'admin') throw forbidden('Only the network office records a resident\'s card');
  }

  /**
   * May this caller change (update, patch, delete) a stored resource? Only its own supplier may, so one
   * facility never overwrites another's record. A resident may revoke their own facility Consents.
   * `visible` tells whether the caller may see it: a hidden resource is answered with 404, as if absent.
   * `next` is the new content of an update: a Consent's only change by anyone but the office is its
   * revocation, so nobody re-points a Consent to another patient, actor or provision.
   */
  assertMayChange(ctx: RequestContext, existing: Resource, visible: boolean, next?: Resource): void {
    if (ctx.role === 'admin') return;
    if (!visible) throw notFound(`${existing.resourceType}/${existing.id} not found`);
    if (existing.resourceType === 'Consent' && next && !onlyRevokes(existing as Consent, next as Consent)) {
      throw forbidden(`Consent/${existing.id}: only its status may change (to inactive); patient, actor and provision stay as recorded`);
    }
    const source = existing.meta?.source;
    if (ctx.role === 'resident' && existing.resourceType === 'Consent') {
      if ((existing as { patient?: { reference?: string } }).patient?.reference === ctx.patient) return;
    }
    if (source && source === this.ownSource(ctx)) return;
    throw forbidden(`${existing.resourceType}/${existing.id} was supplied by ${source ?? 'the network'}; only its supplier may change it`);
  }

  /**
   * PUT to an id. Only the network office creates a resource under an id of its choosing (update-as-create):
   * anyone else could not be told "created" at an id another facility holds, so a free id would answer
   * differently from a hidden one and every PUT would be an existence oracle. Both are "not found", in the
   * same words; a hidden deleted id is not revived under a new owner either. `current` is what is stored at
   * the id (a tombstone too), and whether the caller may see it.
   */
  assertMayPut(ctx: RequestContext, next: Resource, current: { resource: Resource; visible: boolean; deleted: boolean } | undefined): void {
    if (ctx.role === 'admin') return;
    if (!current?.visible) throw notFound(`${next.resourceType}/${next.id} not found (a resource of another id is created with POST; the server assigns its id)`);
    this.assertMayChange(ctx, current.resource, true, current.deleted ? undefined : next);
  }

  /**
   * What the caller may read, as a value the store turns into SQL (`readScopeSql`): every read path puts it in
   * its WHERE clause, so paging, totals and includes only ever count what the caller may see.
   */
  readScope(ctx: RequestContext): ReadScope {
    switch (ctx.role) {
      case 'admin':
        return { kind: 'everything' };
      case 'gateway':
      case 'emergency':
        return ctx.organization ? { kind: 'directory-and', supplied: { by: ctx.organization } } : { kind: 'directory-and' };
      case 'clerk':
        if (!ctx.organization) return { kind: 'directory-and' };
        return { kind: 'directory-and', supplied: { by: ctx.organization, types: ['Patient'] }, consentsNaming: ctx.organization };
      case 'clinician':
        if (!ctx.organization) return { kind: 'directory-and' };
        return { kind: 'directory-and', supplied: { by: ctx.organization }, grantedTo: ctx.organization, consentsNaming: ctx.organization };
      case 'resident':
        if (!ctx.patient) return { kind: 'directory-and' };
        return { kind: 'directory-and', ownRecord: { patientId: ctx.patient.slice('Patient/'.length), supplier: ctx.patient, types: RESIDENT_READABLE } };
      default:
        return { kind: 'nothing' };
    }
  }

  /**
   * Which AuditEvents the caller may read: the network office all; a resident those about their own records
   * (the regional Patient and every local record linked to it); every other client what it caused itself,
   * or what its facility caused. Researchers are refused by assertMayRead before this.
   */
  auditScope(ctx: RequestContext): AuditReadScope {
    switch (ctx.role) {
      case 'admin':
        return { kind: 'everything' };
      case 'resident':
        return ctx.patient ? { kind: 'about-patient', patientId: ctx.patient.slice('Patient/'.length) } : { kind: 'nothing' };
      default:
        return { kind: 'caused-by', clientId: ctx.clientId, organization: ctx.organization };
    }
  }

  /** The facility recorded as meta.source for a write: the caller's own, never what the body claims. */
  sourceFor(ctx: RequestContext, resource: Resource): string | undefined {
    return this.ownSource(ctx) ?? resource.meta?.source;
  }

  private ownSource(ctx: RequestContext): string | undefined {
    if (ctx.role === 'resident') return ctx.patient;
    return ctx.organization;
  }
}

/** Is `next` the same Consent as `existing` except for its status (meta is the server's, text a rendering)? */
function onlyRevokes(existing: Consent, next: Consent): boolean {
  const comparable = (c: Consent) => ({ ...c, id: existing.id, status: undefined, meta: undefined, text: undefined });
  return deepEquals(comparable(existing), comparable(next));
}

/**
 * Is the resource in this resident's compartment and no one else's? A performer or asserter naming another
 * Patient would file it in their compartment too, where the resident has no say.
 */
function aboutPatient(resource: { resourceType: string }, patient: string | undefined): boolean {
  const named = patientsOf(resource as Resource);
  return !!patient && named.length > 0 && named.every((id) => `Patient/${id}` === patient);
}
