/**
 * The booking table: one row per Appointment that holds a published Slot (検査予約), with the slot's time,
 * the facilities on both sides and the procedure asked for, and the rows it locks. booking/ledger.ts and
 * booking/service.ts keep the rules (who may book, confirm, cancel; which statuses hold a slot); this module
 * keeps the rows. Lock order everywhere: Appointment row, then ledger row, then Slot row — the callers take
 * them in that order through `lockStored` and `lock`.
 */
import type { Db } from './db/database';
import { Connection, databaseOf } from './connection';
import { sql } from '../core/sql';
import { readScopeSql, type ReadScope } from './read-scope';

/**
 * A clinic's booking holds the slot at once but stays `proposed` until the hospital confirms it (`booked`);
 * a cancellation by either side or a rejection ends it (`cancelled`).
 */
export type BookingState = 'proposed' | 'booked' | 'cancelled';

export interface BookingRecord {
  appointmentId: string;
  slotId: string;
  /** The Slot's supplier (`Organization/<id>`). */
  hospital?: string;
  /** The booking facility (`Organization/<id>`). */
  clinic?: string;
  state: BookingState;
  start: Date;
  end: Date;
  procedureCode?: string;
  procedureDisplay?: string;
  serviceRequestId?: string;
}

export type NewBooking = Omit<BookingRecord, 'state' | 'start' | 'end'> & { start: string; end: string };

interface BookingRow {
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

export class BookingLedger {
  /** `db` is the connection the caller's writes run on: inside their transaction, the locks last until it ends. */
  private readonly db: Db;

  /** `on`: the connection of the transaction whose writes the ledger follows. */
  constructor(on: Connection) {
    this.db = databaseOf(on);
  }

  /** A stored resource, its row locked until the transaction ends; undefined when absent or deleted. */
  async lockStored<T>(resourceType: string, id: string): Promise<T | undefined> {
    const [row] = await this.db.query<{ content: string; deleted: boolean }>(sql`SELECT content, deleted FROM resource WHERE resource_type = ${resourceType} AND id = ${id} FOR UPDATE`);
    return row && !row.deleted ? (JSON.parse(row.content) as T) : undefined;
  }

  /** The booking of an Appointment, its row locked until the transaction ends. */
  async lock(appointmentId: string): Promise<BookingRecord | undefined> {
    const [row] = await this.db.query<BookingRow>(sql`SELECT * FROM booking WHERE appointment_id = ${appointmentId} FOR UPDATE`);
    return row && recordOf(row);
  }

  async find(appointmentId: string): Promise<BookingRecord | undefined> {
    const [row] = await this.db.query<BookingRow>(sql`SELECT * FROM booking WHERE appointment_id = ${appointmentId}`);
    return row && recordOf(row);
  }

  /**
   * Enters a proposed booking of a Slot; false when an active booking holds that Slot already (the unique
   * index on active rows is the last word, behind the Slot lock that already serialises claims).
   */
  async claim(booking: NewBooking): Promise<boolean> {
    const inserted = await this.db.query(sql`INSERT INTO booking (appointment_id, slot_id, hospital, clinic, state, slot_start, slot_end, procedure_code, procedure_display, service_request_id)
      VALUES (${booking.appointmentId}, ${booking.slotId}, ${booking.hospital ?? null}, ${booking.clinic ?? null}, 'proposed', ${booking.start}::timestamptz, ${booking.end}::timestamptz,
              ${booking.procedureCode ?? null}, ${booking.procedureDisplay ?? null}, ${booking.serviceRequestId ?? null})
      ON CONFLICT DO NOTHING RETURNING appointment_id`);
    return inserted.length > 0;
  }

  async setState(appointmentId: string, state: Exclude<BookingState, 'proposed'>): Promise<void> {
    await this.db.query(sql`UPDATE booking SET state = ${state}, changed_at = now() WHERE appointment_id = ${appointmentId}`);
  }

  /** The Appointment whose booking, not cancelled, holds this Slot. */
  async activeBookingOf(slotId: string): Promise<string | undefined> {
    const [active] = await this.db.query<{ appointment_id: string }>(sql`SELECT appointment_id FROM booking WHERE slot_id = ${slotId} AND state <> 'cancelled'`);
    return active?.appointment_id;
  }

  /** Bookings a facility made or holds in its slots that end at or after `from`, soonest first, at most `limit`. */
  async ofFacility(facility: string, from: Date, limit: number): Promise<BookingRecord[]> {
    const rows = await this.db.query<BookingRow>(sql`SELECT * FROM booking WHERE (clinic = ${facility} OR hospital = ${facility})
      AND slot_end >= ${from.toISOString()}::timestamptz ORDER BY slot_start, appointment_id LIMIT ${limit}`);
    return rows.map(recordOf);
  }

  /** Whether a ServiceRequest, not deleted, is within `scope`. */
  async serviceRequestVisible(scope: ReadScope, serviceRequestId: string): Promise<boolean> {
    const [row] = await this.db.query<{ visible: boolean }>(sql`SELECT ${readScopeSql(scope, 'r')} AS visible FROM resource r
      WHERE r.resource_type = 'ServiceRequest' AND r.id = ${serviceRequestId} AND NOT r.deleted`);
    return row?.visible === true;
  }

  /**
   * The start instants (ms since the epoch) of the Slots of a Schedule, not deleted. Slots are directory data
   * every clinical role sees, so no read scope narrows them.
   */
  async slotStartsOf(scheduleId: string): Promise<Set<number>> {
    const rows = await this.db.query<{ lo: Date | string }>(sql`SELECT d.lo FROM sp_date d
      JOIN sp_reference x ON x.rid = d.rid AND x.code = 'schedule' AND x.target_type = 'Schedule' AND x.target_id = ${scheduleId}
      JOIN resource r ON r.rid = d.rid AND NOT r.deleted
      WHERE d.resource_type = 'Slot' AND d.code = 'start'`);
    return new Set(rows.map((row) => new Date(row.lo).getTime()));
  }
}

function recordOf(row: BookingRow): BookingRecord {
  return {
    appointmentId: row.appointment_id,
    slotId: row.slot_id,
    hospital: row.hospital ?? undefined,
    clinic: row.clinic ?? undefined,
    state: row.state,
    start: new Date(row.slot_start),
    end: new Date(row.slot_end),
    procedureCode: row.procedure_code ?? undefined,
    procedureDisplay: row.procedure_display ?? undefined,
    serviceRequestId: row.service_request_id ?? undefined,
  };
}
