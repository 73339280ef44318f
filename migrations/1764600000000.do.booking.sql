-- The booking ledger: one row per Appointment booked into a published Slot, kept in step with the
-- Appointment and Slot resources by a write hook in the transaction that writes them. It is what makes a
-- slot impossible to book twice (one active row per slot, enforced by a unique index as well as by the
-- Slot row lock), what tells the hospital which bookings are in its slots even before it may see the
-- patient, and who may confirm or reject (the Slot's supplier).

CREATE TABLE booking (
  appointment_id text PRIMARY KEY,
  slot_id text NOT NULL,
  hospital text,
  clinic text,
  state text NOT NULL CHECK (state IN ('proposed', 'booked', 'cancelled')),
  slot_start timestamptz NOT NULL,
  slot_end timestamptz NOT NULL,
  procedure_code text,
  procedure_display text,
  service_request_id text,
  booked_at timestamptz NOT NULL DEFAULT now(),
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX booking_active_slot ON booking (slot_id) WHERE state <> 'cancelled';

CREATE INDEX booking_hospital ON booking (hospital, slot_start);

CREATE INDEX booking_clinic ON booking (clinic, slot_start);
