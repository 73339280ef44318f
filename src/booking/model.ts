/**
 * The words of exam booking (検査予約): which Appointment statuses hold a slot, what a hospital's answer
 * does to the booking, and the code systems a referral for CT/MRI uses.
 */
import type { Coding } from '@medplum/fhirtypes';
import type { BookingState } from '../store/booking-ledger';

/** JJ1017 (JIRA/JAHIS radiology procedure codes, 放射線部門の検査・手技コード): the procedure a ServiceRequest asks for. */
export const JJ1017_SYSTEM = 'urn:tonet:code-system:JJ1017';
/** DICOM modality codes (CT, MR, …) on Device.type tell a scanner's kind. */
export const MODALITY_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';


/** Appointment.status values each ledger state allows; anything in none of them ends the booking. */
export const STATUSES_OF: Record<Exclude<BookingState, 'cancelled'>, ReadonlySet<string>> = {
  proposed: new Set(['proposed', 'pending']),
  booked: new Set(['booked', 'arrived', 'checked-in', 'fulfilled']),
};
/** Appointment.status values that release the slot. */
export const ENDING_STATUSES: ReadonlySet<string> = new Set(['cancelled', 'noshow', 'entered-in-error']);

/** Appointment.cancelationReason when the hospital turns a booking down. */
export const REJECTED_BY_HOSPITAL: Coding = { system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'prov', display: 'Provider' };
/** …and when the booking clinic withdraws it. */
export const CANCELLED_BY_CLINIC: Coding = { system: 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason', code: 'oth', display: 'Other' };
