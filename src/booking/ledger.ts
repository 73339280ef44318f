/**
 * The booking ledger's write hook. It runs in the transaction of every write, so whichever way an
 * Appointment or Slot changes (Appointment/$book, PUT, PATCH, DELETE, a transaction Bundle, $cancel,
 * $confirm, $reject) the slot, the ledger row and the Appointment change together or not at all:
 * - a new Appointment naming a Slot claims it: the Slot row is locked, must be free, and becomes busy;
 *   a second booking of the same slot waits for the lock, then finds it busy and gets 409;
 * - an Appointment that ends (cancelled, noshow, entered-in-error, deleted) frees its slot;
 * - only the hospital turns a proposed booking into a booked one ($confirm writes the ledger first);
 * - a cancelled booking is never reopened, and a booked Slot cannot be freed or deleted behind the ledger.
 * Lock order everywhere: Appointment row, then ledger row, then Slot row.
 */
import type { Appointment, ServiceRequest, Slot } from '@medplum/fhirtypes';
import type { Db } from '../store/db/database';
import { sql } from '../core/sql';
import { conflict, forbidden, notFound, unprocessable } from '../core/errors';
import type { Repository, WriteHook } from '../fhir/repository';
import type { StoredVersion } from '../fhir/store';
import { BookingState, bookingSystemContext, ENDING_STATUSES, STATUSES_OF } from './model';

export interface LedgerRow {
  appointment_id: string;
  slot_id: string;
  hospital: string | null;
  clinic: string | null;
  state: BookingState;
  slot_start: Date | string;
  slot_end: Date | string;
  procedure_code: string | null;
  procedure_display: string | null;
  service_request_id: string | null;
}

/** The hook, given a way to reach the repository inside the writing transaction (it writes Slots). */
export function bookingLedger(repositoryIn: (tx: Db) => Repository): WriteHook {
  return async (tx, versions) => {
    for (const version of versions) {
      if (version.resource.resourceType === 'Appointment') await appointmentWritten(tx, repositoryIn(tx), version, versions);
      else if (version.resource.resourceType === 'Slot') await guardSlot(tx, version);
    }
  };
}

/** The stored row of a resource, locked until the transaction ends; undefined when absent or deleted. */
export async function lockStored<T>(tx: Db, resourceType: string, id: string): Promise<T | undefined> {
  const [row] = await tx.query<{ content: string; deleted: boolean }>(sql`SELECT content, deleted FROM resource WHERE resource_type = ${resourceType} AND id = ${id} FOR UPDATE`);
  return row && !row.deleted ? (JSON.parse(row.content) as T) : undefined;
}

export async function lockLedgerRow(tx: Db, appointmentId: string): Promise<LedgerRow | undefined> {
  const [row] = await tx.query<LedgerRow>(sql`SELECT * FROM booking WHERE appointment_id = ${appointmentId} FOR UPDATE`);
  return row;
}

async function appointmentWritten(tx: Db, repo: Repository, version: StoredVersion, batch: StoredVersion[]): Promise<void> {
  const appointment = version.resource as Appointment;
  const id = appointment.id as string;
  const slotIds = (appointment.slot ?? []).map((s) => s.reference ?? '').filter((r) => r.startsWith('Slot/')).map((r) => r.slice('Slot/'.length));
  const ended = version.deleted || ENDING_STATUSES.has(appointment.status);
  const row = await lockLedgerRow(tx, id);

  if (!row) {
    // Appointments outside published slots (a visit planned in a facility's own system) are not booked here.
    if (!slotIds.length || ended) return;
    if (slotIds.length > 1) throw unprocessable([issue('A booking takes exactly one Slot; book each exam separately', 'Appointment.slot')]);
    if (!STATUSES_OF.proposed.has(appointment.status)) {
      throw forbidden(`A new booking is "proposed" until the hospital confirms it (Appointment/{id}/$confirm); "${appointment.status}" cannot be set by the booking facility`);
    }
    await claimSlot(tx, repo, slotIds[0], appointment, version.source, batch);
    return;
  }

  if (!version.deleted && slotIds[0] !== row.slot_id) throw conflict(`Appointment/${id} holds Slot/${row.slot_id}; to move it, cancel it and book the other slot`);
  if (row.state === 'cancelled') {
    if (!ended) throw conflict(`Appointment/${id} was cancelled; a cancelled booking is not reopened — book a free slot with Appointment/$book`);
    return;
  }
  if (ended) {
    await tx.query(sql`UPDATE booking SET state = 'cancelled', changed_at = now() WHERE appointment_id = ${id}`);
    await releaseSlot(tx, repo, row.slot_id);
    return;
  }
  if (!STATUSES_OF[row.state].has(appointment.status)) {
    const how = row.state === 'proposed' ? 'only the hospital confirms a booking (Appointment/{id}/$confirm)' : 'a confirmed booking can only be cancelled';
    throw forbidden(`Appointment/${id} is ${row.state}: status "${appointment.status}" cannot be set — ${how}`);
  }
}

async function claimSlot(tx: Db, repo: Repository, slotId: string, appointment: Appointment, clinic: string | undefined, batch: StoredVersion[]): Promise<void> {
  const slot = await lockStored<Slot>(tx, 'Slot', slotId);
  if (!slot) throw notFound(`Slot/${slotId} not found`);
  if (slot.status !== 'free') throw slotTaken(slot);
  const request = serviceRequestOf(appointment, batch);
  const procedure = request?.code?.coding?.[0];
  const inserted = await tx.query(sql`INSERT INTO booking (appointment_id, slot_id, hospital, clinic, state, slot_start, slot_end, procedure_code, procedure_display, service_request_id)
    VALUES (${appointment.id}, ${slotId}, ${slot.meta?.source ?? null}, ${clinic ?? null}, 'proposed', ${slot.start}::timestamptz, ${slot.end}::timestamptz,
            ${procedure?.code ?? null}, ${procedure?.display ?? request?.code?.text ?? null}, ${request?.id ?? null})
    ON CONFLICT DO NOTHING RETURNING appointment_id`);
  // The Slot lock already serialises claims; the unique index on active rows is the last word.
  if (!inserted.length) throw slotTaken(slot);
  await repo.update(bookingSystemContext('claim'), { ...slot, status: 'busy' });
}

async function releaseSlot(tx: Db, repo: Repository, slotId: string): Promise<void> {
  const slot = await lockStored<Slot>(tx, 'Slot', slotId);
  if (slot?.status === 'busy') await repo.update(bookingSystemContext('release'), { ...slot, status: 'free' });
}

/** A booked Slot stays busy and in place until its booking ends. */
async function guardSlot(tx: Db, version: StoredVersion): Promise<void> {
  const slot = version.resource as Slot;
  if (!version.deleted && slot.status === 'busy') return;
  const [active] = await tx.query<{ appointment_id: string }>(sql`SELECT appointment_id FROM booking WHERE slot_id = ${slot.id} AND state <> 'cancelled'`);
  if (active) throw conflict(`Slot/${slot.id} is booked by Appointment/${active.appointment_id}; cancel or reject that booking before changing the slot`);
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
