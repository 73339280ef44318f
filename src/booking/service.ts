/**
 * Exam booking between clinics and core hospitals (CT/MRI予約): hospitals publish Slots from opening
 * hours, clinics find free ones and book them with a ServiceRequest (the referral), either side cancels,
 * the hospital confirms or rejects. REST operations and GraphQL resolvers are thin adapters over this.
 *
 * Consent: the booking facility must see the patient (its own record, or the regional one under consent).
 * The Appointment and the ServiceRequest are the clinic's data in the patient's compartment, so the
 * hospital reads them, the referral's reason, diagnoses, lab results and contrast-agent allergies
 * (ServiceRequest.reasonReference / supportingInfo) only while the patient's facility-access Consent names
 * it — the same rule as for every other record. Without it the hospital still knows, from the ledger, that
 * its slot is held by which clinic for which procedure, and may confirm or reject; it learns who the patient
 * is when the resident shows the card there ($link-card), as at any first visit.
 */
import { generateId } from '@medplum/core';
import type { Appointment, AppointmentParticipant, Device, HealthcareService, Resource, Schedule, ServiceRequest, Slot } from '@medplum/fhirtypes';
import { RequestContext, systemActor } from '../core/context';
import { patientsOf } from '../core/compartments';
import type { AuditSink } from '../audit/types';
import type { AccessPolicy } from '../consent/access';
import { badRequest, conflict, FhirError, forbidden, notFound, unprocessable } from '../core/errors';
import type { Repository } from '../fhir/repository';
import { parseQuery, Query } from '../fhir/router';
import { MAX_COUNT } from '../store/search/execute';
import type { LedgerIn } from './ledger';
import { CANCELLED_BY_CLINIC, ENDING_STATUSES, REJECTED_BY_HOSPITAL } from './model';
import { slotTimes } from './opening-hours';
import type { BookingRecord, BookingState } from '../store/booking-ledger';
import { assertMayStart } from '../consent/interactions';

/** One generation call covers at most this many slots (a quarter of 10-minute slots around the clock is ~13,000). */
export const MAX_GENERATED_SLOTS = 10_000;
export const MAX_GENERATION_DAYS = 92;

export interface BookingRequest {
  /** "Slot/<id>" */
  slot: string;
  /** "Patient/<id>": the clinic's own record of the patient or the regional Patient. */
  patient: string;
  serviceRequest: ServiceRequest;
}

/** What the ledger says about a booking; no patient data, so both sides may always see it. */
export interface BookingSummary {
  appointment: string;
  slot: string;
  serviceRequest?: string;
  hospital?: string;
  clinic?: string;
  state: BookingState;
  start: Date;
  end: Date;
  procedureCode?: string;
  procedureDisplay?: string;
}

export interface FreeSlotQuery {
  /** "Organization/<id>" of the hospital. */
  hospital: string;
  /** DICOM modality code on Device.type (CT, MR…). */
  modality: string;
  from: Date;
  to: Date;
}

export interface FreeSlot {
  slot: Slot;
  device: Device;
}

export class BookingService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly audit: AuditSink,
    private readonly ledgerIn: LedgerIn
  ) {}

  /** Appointment/$book: holds the slot for the patient and stores the referral beside it, in one transaction. */
  async book(ctx: RequestContext, repo: Repository, input: BookingRequest): Promise<Appointment> {
    assertMayStart(ctx, 'book-exam');
    const slotId = idOf(input.slot, 'Slot', 'slot');
    const patientId = idOf(input.patient, 'Patient', 'patient');
    const slot = (await repo.read(ctx, 'Slot', slotId)) as Slot;
    // The booking facility must see the patient: its own record, or the regional one under consent.
    await repo.read(ctx, 'Patient', patientId);
    const schedule = (await repo.read(ctx, 'Schedule', idOf(slot.schedule.reference ?? '', 'Schedule', 'slot'))) as Schedule;
    if (slot.status !== 'free') throw conflict(`Slot/${slotId} (${slot.start} – ${slot.end}) is ${slot.status}, not free; search free slots again`);
    const subject = input.serviceRequest.subject?.reference;
    if (subject && subject !== `Patient/${patientId}`) throw badRequest(`serviceRequest.subject (${subject}) is not the booked patient Patient/${patientId}`, ['Parameters.parameter[serviceRequest].resource.subject']);
    await this.assertReferralVisible(ctx, repo, input.serviceRequest);

    const now = new Date().toISOString();
    const request: ServiceRequest = {
      ...input.serviceRequest,
      id: generateId(),
      meta: undefined,
      status: 'active',
      intent: input.serviceRequest.intent ?? 'order',
      subject: { reference: `Patient/${patientId}` },
      requester: input.serviceRequest.requester ?? { reference: ctx.organization },
      performer: slot.meta?.source ? [{ reference: slot.meta.source }] : input.serviceRequest.performer,
      occurrenceDateTime: undefined,
      occurrenceTiming: undefined,
      occurrencePeriod: { start: slot.start, end: slot.end },
      authoredOn: input.serviceRequest.authoredOn ?? now,
    };
    const appointment: Appointment = {
      resourceType: 'Appointment',
      id: generateId(),
      status: 'proposed',
      serviceType: slot.serviceType ?? schedule.serviceType,
      reasonCode: request.reasonCode,
      description: request.code?.coding?.[0]?.display ?? request.code?.text,
      start: slot.start,
      end: slot.end,
      slot: [{ reference: `Slot/${slotId}` }],
      created: now,
      basedOn: [{ reference: `ServiceRequest/${request.id}` }],
      participant: [
        { actor: { reference: `Patient/${patientId}` }, required: 'required', status: 'accepted' },
        ...(schedule.actor ?? []).map((actor): AppointmentParticipant => ({ actor, required: 'required', status: 'needs-action' })),
      ],
    };
    repo.assertWritable(ctx, request);
    repo.assertWritable(ctx, appointment);
    return repo.transaction(async (tx) => {
      const [, booked] = await tx.createMany(ctx, [request, appointment]);
      await this.record(tx, ctx, `Appointment/$book: Slot/${slotId} at ${slot.meta?.source ?? 'the network'} for Patient/${patientId}`, [patientId], [`Appointment/${appointment.id}`, `ServiceRequest/${request.id}`, `Slot/${slotId}`]);
      return booked as Appointment;
    });
  }

  /** The booking clinic withdraws its booking; the slot is freed in the same transaction (by the ledger). */
  async cancel(ctx: RequestContext, repo: Repository, appointmentId: string, reason?: string): Promise<Appointment> {
    const row = await this.ledgerIn(repo).find(appointmentId);
    if (row && ctx.role !== 'admin' && !!ctx.organization && ctx.organization === row.hospital && ctx.organization !== row.clinic) {
      throw forbidden(`The hospital turns a booking down with Appointment/${appointmentId}/$reject`);
    }
    const appointment = (await repo.read(ctx, 'Appointment', appointmentId)) as Appointment;
    if (ENDING_STATUSES.has(appointment.status)) throw conflict(`Appointment/${appointmentId} is already ${appointment.status}`);
    return repo.transaction(async (tx) => {
      const { resource } = await tx.update(ctx, { ...appointment, status: 'cancelled', cancelationReason: { coding: [CANCELLED_BY_CLINIC], text: reason } });
      await this.record(tx, ctx, `Appointment/${appointmentId}/$cancel${reason ? `: ${reason}` : ''}`, patientsOf(appointment), [`Appointment/${appointmentId}`, ...(row ? [`Slot/${row.slotId}`] : [])]);
      return resource as Appointment;
    });
  }

  /** The hospital accepts a proposed booking: its participants accept and the Appointment becomes booked. */
  async confirm(ctx: RequestContext, repo: Repository, appointmentId: string): Promise<BookingSummary> {
    return this.hospitalAnswer(ctx, repo, appointmentId, async (tx, appointment, row) => {
      if (row.state === 'booked') return;
      await this.ledgerIn(tx).setState(appointmentId, 'booked');
      await tx.update(systemActor('booking-answer', ctx.requestId), { ...appointment, status: 'booked', participant: answered(appointment, 'accepted') });
    });
  }

  /** The hospital turns a booking down, with its reason; the slot is freed. */
  async reject(ctx: RequestContext, repo: Repository, appointmentId: string, reason: string): Promise<BookingSummary> {
    return this.hospitalAnswer(ctx, repo, appointmentId, async (tx, appointment) => {
      await tx.update(systemActor('booking-answer', ctx.requestId), {
        ...appointment,
        status: 'cancelled',
        cancelationReason: { coding: [REJECTED_BY_HOSPITAL], text: reason },
        participant: answered(appointment, 'declined'),
      });
    });
  }

  /**
   * The Appointment is the clinic's record, and the hospital may not even see it without the patient's
   * consent; the ledger says the hospital owns the slot, so the server writes the answer into the
   * Appointment on its behalf, keeping the clinic as supplier, and audits who answered.
   */
  private async hospitalAnswer(
    ctx: RequestContext,
    repo: Repository,
    appointmentId: string,
    answer: (tx: Repository, appointment: Appointment, row: BookingRecord) => Promise<void>
  ): Promise<BookingSummary> {
    return repo.transaction(async (tx) => {
      const ledger = this.ledgerIn(tx);
      const appointment = await ledger.lockStored<Appointment>('Appointment', appointmentId);
      const row = await ledger.lock(appointmentId);
      const mayAnswer = ctx.role === 'admin' || ((ctx.role === 'clinician' || ctx.role === 'gateway') && !!ctx.organization && ctx.organization === row?.hospital);
      if (!row || !appointment || !mayAnswer) {
        // A facility that does not hold the slot learns nothing about the booking, not even that it exists.
        if (row && appointment && !!ctx.organization && ctx.organization === row.clinic) throw forbidden(`Only the hospital that holds Slot/${row.slotId} confirms or rejects this booking`);
        throw notFound(`No booking Appointment/${appointmentId} in your facility's slots`);
      }
      if (row.state === 'cancelled') throw conflict(`Appointment/${appointmentId} was already cancelled`);
      await answer(tx, appointment, row);
      const after = (await ledger.find(appointmentId)) as BookingRecord;
      await this.record(tx, ctx, `Appointment/${appointmentId}: hospital answered, booking ${after.state}`, patientsOf(appointment), [`Appointment/${appointmentId}`, `Slot/${row.slotId}`]);
      return summaryOf(after);
    });
  }

  /** One booking as the ledger holds it, for either side of it. */
  async summary(ctx: RequestContext, repo: Repository, appointmentId: string): Promise<BookingSummary> {
    const row = await this.ledgerIn(repo).find(appointmentId);
    if (!row || (ctx.role !== 'admin' && (!ctx.organization || (ctx.organization !== row.clinic && ctx.organization !== row.hospital)))) {
      throw notFound(`No booking Appointment/${appointmentId} of your facility`);
    }
    return summaryOf(row);
  }

  /** Whether the hospital may read the referral now: the same read decision, taken for a clinician of the hospital. */
  async hospitalSeesReferral(repo: Repository, summary: BookingSummary): Promise<boolean> {
    if (!summary.hospital || !summary.serviceRequest) return false;
    const hospitalClinician: RequestContext = { ...systemActor('referral-check'), role: 'clinician', organization: summary.hospital };
    return this.ledgerIn(repo).serviceRequestVisible(this.access.readScope(hospitalClinician), summary.serviceRequest.slice('ServiceRequest/'.length));
  }

  /** Bookings a facility made (a clinic) or holds in its slots (a hospital), soonest first. */
  async bookings(ctx: RequestContext, repo: Repository, facility: string, from?: Date): Promise<BookingSummary[]> {
    if (ctx.role !== 'admin' && ctx.organization !== facility) throw forbidden(`Only ${facility}'s own clients see its bookings`);
    return (await this.ledgerIn(repo).ofFacility(facility, from ?? new Date(0), MAX_COUNT)).map(summaryOf);
  }

  /** Free slots of a hospital's scanners of one modality, by plain FHIR searches (Device → Schedule → Slot). */
  async freeSlots(ctx: RequestContext, repo: Repository, query: FreeSlotQuery): Promise<FreeSlot[]> {
    const devices = (await search<Device>(ctx, repo, 'Device', { organization: query.hospital, type: query.modality })).filter((d) => d.status !== 'inactive');
    if (!devices.length) return [];
    const deviceRefs = devices.map((d) => `Device/${d.id}`);
    const schedules = (await search<Schedule>(ctx, repo, 'Schedule', { actor: deviceRefs.join(',') })).filter((s) => s.active !== false);
    if (!schedules.length) return [];
    const slots = await search<Slot>(ctx, repo, 'Slot', {
      schedule: schedules.map((s) => `Schedule/${s.id}`).join(','),
      status: 'free',
      start: [`ge${query.from.toISOString()}`, `lt${query.to.toISOString()}`],
      _sort: 'start',
    });
    const deviceOf = new Map(schedules.map((s) => [`Schedule/${s.id}`, devices.find((d) => s.actor.some((a) => a.reference === `Device/${d.id}`)) as Device]));
    return slots.map((slot) => ({ slot, device: deviceOf.get(slot.schedule.reference ?? '') as Device }));
  }

  /**
   * Schedule/{id}/$generate-slots: free Slots for each opening period of the Schedule's HealthcareService,
   * except its blocked times (notAvailable). Slots that already start at the same instant are kept, so
   * generating over a period twice adds nothing.
   */
  async generateSlots(ctx: RequestContext, repo: Repository, scheduleId: string, range: { from: string; to: string; slotMinutes: number }): Promise<{ created: Slot[]; skipped: number }> {
    const schedule = (await repo.read(ctx, 'Schedule', scheduleId)) as Schedule;
    const hospital = schedule.meta?.source;
    if (ctx.role !== 'admin' && !((ctx.role === 'clinician' || ctx.role === 'gateway') && ctx.organization && ctx.organization === hospital)) {
      throw forbidden(`Only the facility that publishes Schedule/${scheduleId} generates its slots`);
    }
    if (range.to < range.from) throw badRequest('"to" is before "from"', ['Parameters.parameter[to]']);
    if ((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 >= MAX_GENERATION_DAYS) throw badRequest(`Generate at most ${MAX_GENERATION_DAYS} days at a time`, ['Parameters.parameter[to]']);
    const serviceRef = schedule.actor.find((a) => a.reference?.startsWith('HealthcareService/'))?.reference;
    if (!serviceRef) throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: `Schedule/${scheduleId} names no HealthcareService whose opening hours (availableTime) give its slots`, expression: ['Schedule.actor'] }]);
    const service = (await repo.read(ctx, 'HealthcareService', serviceRef.slice('HealthcareService/'.length))) as HealthcareService;
    const times = slotTimes({ ...range, availableTime: service.availableTime ?? [], notAvailable: service.notAvailable });
    if (times.length > MAX_GENERATED_SLOTS) throw badRequest(`That would make ${times.length} slots; generate at most ${MAX_GENERATED_SLOTS} at a time`);

    return repo.transaction(async (tx) => {
      // One generation per Schedule at a time, so two concurrent calls cannot both add the same slots.
      const ledger = this.ledgerIn(tx);
      await ledger.lockStored('Schedule', scheduleId);
      const taken = await ledger.slotStartsOf(scheduleId);
      const fresh = times.filter((t) => !taken.has(Date.parse(t.start)));
      const slots: Slot[] = fresh.map((t) => ({
        resourceType: 'Slot',
        id: generateId(),
        ...(hospital ? { meta: { source: hospital } } : {}),
        schedule: { reference: `Schedule/${scheduleId}` },
        serviceType: schedule.serviceType,
        specialty: schedule.specialty,
        status: 'free',
        start: t.start,
        end: t.end,
      }));
      slots.forEach((slot) => tx.assertWritable(ctx, slot));
      const created = (await tx.createMany(ctx, slots)) as Slot[];
      return { created, skipped: times.length - fresh.length };
    });
  }

  /** The referral's references must be records the booking facility itself may see. */
  private async assertReferralVisible(ctx: RequestContext, repo: Repository, request: ServiceRequest): Promise<void> {
    const references = [...(request.reasonReference ?? []), ...(request.supportingInfo ?? [])]
      .map((r) => r.reference ?? '')
      .filter((r) => /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(r));
    const refs = references.map((r) => ({ resourceType: r.split('/')[0], id: r.split('/')[1] }));
    const answers = refs.length ? await repo.readMany(ctx, refs) : [];
    const missing = references.filter((_, i) => answers[i] instanceof FhirError);
    if (missing.length) throw unprocessable(missing.map((r) => ({ severity: 'error', code: 'not-found', diagnostics: `The referral names ${r}, which your facility cannot see`, expression: ['Parameters.parameter[serviceRequest].resource'] })));
  }

  private async record(tx: Repository, ctx: RequestContext, description: string, patientIds: string[], entities: string[]): Promise<void> {
    await this.audit.record(tx.connection, { ctx, action: 'operation', patientIds, entities, outcome: '0', description, remoteAddress: ctx.remoteAddress });
  }
}

function summaryOf(row: BookingRecord): BookingSummary {
  return {
    appointment: `Appointment/${row.appointmentId}`,
    slot: `Slot/${row.slotId}`,
    serviceRequest: row.serviceRequestId ? `ServiceRequest/${row.serviceRequestId}` : undefined,
    hospital: row.hospital,
    clinic: row.clinic,
    state: row.state,
    start: row.start,
    end: row.end,
    procedureCode: row.procedureCode,
    procedureDisplay: row.procedureDisplay,
  };
}

/** The hospital's participants (everything but the patient) take its answer. */
function answered(appointment: Appointment, status: AppointmentParticipant['status']): AppointmentParticipant[] {
  return appointment.participant.map((p) => (p.actor?.reference?.startsWith('Patient/') ? p : { ...p, status }));
}

function idOf(reference: string, type: string, parameter: string): string {
  const m = new RegExp(`^${type}/([A-Za-z0-9\\-.]{1,64})$`).exec(reference.trim());
  if (!m) throw badRequest(`Parameter "${parameter}" must be "${type}/<id>", got "${reference}"`, [`Parameters.parameter[${parameter}]`]);
  return m[1];
}

async function search<T extends Resource>(ctx: RequestContext, repo: Repository, type: string, query: Query): Promise<T[]> {
  const page = await repo.search(ctx, { ...parseQuery(type, { ...query, _count: String(MAX_COUNT) }), total: 'none' });
  return page.matches.map((m) => JSON.parse(m.content) as T);
}
