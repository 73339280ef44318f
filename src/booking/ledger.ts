/**
 * The booking ledger's write hook. It runs in the transaction of every write, so whichever way an
 * Appointment or Slot changes (Appointment/$book, PUT, PATCH, DELETE, a transaction Bundle, $cancel,
 * $confirm, $reject) the slot, the ledger row and the Appointment change together or not at all:
 * - a new Appointment naming a Slot claims it: the Slot row is locked, must be free, and becomes busy;
 *   a second booking of the same slot waits for the lock, then finds it busy and gets 409;
 * - an Appointment that ends (cancelled, noshow, entered-in-error, deleted) frees its slot;
 * - only the hospital turns a proposed booking into a booked one ($confirm writes the ledger first);
 * - a cancelled booking is never reopened, and a booked Slot cannot be freed or deleted behind the ledger.
 * Lock order everywhere: Appointment row, then ledger row, then Slot row. The rows are store/booking-ledger.ts's.
 */
import type { Appointment, ServiceRequest, Slot } from '@medplum/fhirtypes';
import { systemActor } from '../core/context';
import { conflict, forbidden, notFound, unprocessable } from '../core/errors';
import type { Repository } from '../fhir/repository';
import type { WriteHook } from '../store/resource-table';
import type { StoredVersion } from '../store/resource-writes';
import type { BookingLedger } from '../store/booking-ledger';
import { ENDING_STATUSES, STATUSES_OF } from './model';

/** The ledger on a repository's connection: within its transaction when the repository is a transaction's. */
export type LedgerIn = (repo: Repository) => BookingLedger;

/** The hook, given a way to reach the repository inside the writing transaction (it writes Slots) and the ledger there. */
export function bookingLedger(repositoryIn: (tx: Parameters<WriteHook>[0]) => Repository, ledgerIn: LedgerIn): WriteHook {
  return async (tx, versions) => {
    if (!versions.some((v) => v.resource.resourceType === 'Appointment' || v.resource.resourceType === 'Slot')) return;
    const repo = repositoryIn(tx);
    const ledger = ledgerIn(repo);
    for (const version of versions) {
      if (version.resource.resourceType === 'Appointment') await appointmentWritten(ledger, repo, version, versions);
      else if (version.resource.resourceType === 'Slot') await guardSlot(ledger, version);
    }
  };
}

async function appointmentWritten(ledger: BookingLedger, repo: Repository, version: StoredVersion, batch: StoredVersion[]): Promise<void> {
  const appointment = version.resource as Appointment;
  const id = appointment.id as string;
  const slotIds = (appointment.slot ?? []).map((s) => s.reference ?? '').filter((r) => r.startsWith('Slot/')).map((r) => r.slice('Slot/'.length));
  const ended = version.deleted || ENDING_STATUSES.has(appointment.status);
  const row = await ledger.lock(id);

  if (!row) {
    // Appointments outside published slots (a visit planned in a facility's own system) are not booked here.
    if (!slotIds.length || ended) return;
    if (slotIds.length > 1) throw unprocessable([issue('A booking takes exactly one Slot; book each exam separately', 'Appointment.slot')]);
    if (!STATUSES_OF.proposed.has(appointment.status)) {
      throw forbidden(`A new booking is "proposed" until the hospital confirms it (Appointment/{id}/$confirm); "${appointment.status}" cannot be set by the booking facility`);
    }
    await claimSlot(ledger, repo, slotIds[0], appointment, version.source, batch);
    return;
  }

  if (!version.deleted && slotIds[0] !== row.slotId) throw conflict(`Appointment/${id} holds Slot/${row.slotId}; to move it, cancel it and book the other slot`);
  if (row.state === 'cancelled') {
    if (!ended) throw conflict(`Appointment/${id} was cancelled; a cancelled booking is not reopened — book a free slot with Appointment/$book`);
    return;
  }
  if (ended) {
    await ledger.setState(id, 'cancelled');
    await releaseSlot(ledger, repo, row.slotId);
    return;
  }
  if (!STATUSES_OF[row.state].has(appointment.status)) {
    const how = row.state === 'proposed' ? 'only the hospital confirms a booking (Appointment/{id}/$confirm)' : 'a confirmed booking can only be cancelled';
    throw forbidden(`Appointment/${id} is ${row.state}: status "${appointment.status}" cannot be set — ${how}`);
  }
}

async function claimSlot(ledger: BookingLedger, repo: Repository, slotId: string, appointment: Appointment, clinic: string | undefined, batch: StoredVersion[]): Promise<void> {
  const slot = await ledger.lockStored<Slot>('Slot', slotId);
  if (!slot) throw notFound(`Slot/${slotId} not found`);
  if (slot.status !== 'free') throw slotTaken(slot);
  const request = serviceRequestOf(appointment, batch);
  const procedure = request?.code?.coding?.[0];
  const claimed = await ledger.claim({
    appointmentId: appointment.id as string,
    slotId,
    hospital: slot.meta?.source,
    clinic,
    start: slot.start,
    end: slot.end,
    procedureCode: procedure?.code,
    procedureDisplay: procedure?.display ?? request?.code?.text,
    serviceRequestId: request?.id,
  });
  if (!claimed) throw slotTaken(slot);
  await repo.update(systemActor('booking-slot'), { ...slot, status: 'busy' });
}

async function releaseSlot(ledger: BookingLedger, repo: Repository, slotId: string): Promise<void> {
  const slot = await ledger.lockStored<Slot>('Slot', slotId);
  if (slot?.status === 'busy') await repo.update(systemActor('booking-slot'), { ...slot, status: 'free' });
}

/** A booked Slot stays busy and in place until its booking ends. */
async function guardSlot(ledger: BookingLedger, version: StoredVersion): Promise<void> {
  const slot = version.resource as Slot;
  if (!version.deleted && slot.status === 'busy') return;
  const active = await ledger.activeBookingOf(slot.id as string);
  if (active) throw conflict(`Slot/${slot.id} is booked by Appointment/${active}; cancel or reject that booking before changing the slot`);
}

function serviceRequestOf(appointment: Appointment, batch: StoredVersion[]): ServiceRequest | undefined {
  const references = new Set((appointment.basedOn ?? []).map((b) => b.reference));
  return batch.map((v) => v.resource).find((r): r is ServiceRequest => r.resourceType === 'ServiceRequest' && references.has(`ServiceRequest/${r.id}`));
}

function slotTaken(slot: Slot) {
  return conflict(`Slot/${slot.id} (${slot.start} – ${slot.end}) is no longer free: another booking took it. Search free slots again and book another one.`);
}

function issue(text: string, expression: string) {
  return { severity: 'error' as const, code: 'business-rule' as const, diagnostics: text, details: { text }, expression: [expression] };
}
