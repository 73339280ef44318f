/**
 * The booking operations on the FHIR REST API; each reads its Parameters and hands over to BookingService.
 * - POST Schedule/{id}/$generate-slots   from, to (dates, both included), slotMinutes (integer, default 30)
 * - POST Appointment/$book               slot, patient (references as valueString), serviceRequest (resource)
 * - POST Appointment/{id}/$cancel        reason (optional) — the booking clinic
 * - POST Appointment/{id}/$confirm       — the hospital holding the slot
 * - POST Appointment/{id}/$reject        reason — the hospital holding the slot
 */
import type { Parameters, ParametersParameter, ServiceRequest } from '@medplum/fhirtypes';
import { badRequest } from '../core/errors';
import { OperationParameters } from '../fhir/parameters';
import type { OperationHandler } from '../fhir/router';
import type { BookingService, BookingSummary } from './service';

export const DEFAULT_SLOT_MINUTES = 30;

export function bookingOperations(booking: BookingService): OperationHandler[] {
  return [
    {
      name: 'generate-slots',
      levels: ['instance'],
      resourceTypes: ['Schedule'],
      methods: ['POST'],
      async handle({ ctx, repo, request, id }) {
        const params = OperationParameters.from(request.body, 'generate-slots');
        const from = params.date('from');
        const to = params.date('to');
        if (!from || !to) throw badRequest('Parameters "from" and "to" (dates) are required', ['Parameters.parameter[from]', 'Parameters.parameter[to]']);
        const slotMinutes = integerParameter(request.body, 'slotMinutes') ?? DEFAULT_SLOT_MINUTES;
        if (slotMinutes < 5 || slotMinutes > 24 * 60) throw badRequest('"slotMinutes" must be between 5 and 1440', ['Parameters.parameter[slotMinutes]']);
        const { created, skipped } = await booking.generateSlots(ctx, repo, id as string, { from, to, slotMinutes });
        const answer: Parameters = {
          resourceType: 'Parameters',
          parameter: [
            { name: 'created', valueInteger: created.length },
            { name: 'skipped', valueInteger: skipped },
          ],
        };
        return { status: 200, resource: answer };
      },
    },
    {
      name: 'book',
      levels: ['type'],
      resourceTypes: ['Appointment'],
      methods: ['POST'],
      async handle({ ctx, repo, router, request }) {
        const params = OperationParameters.from(request.body, 'book');
        const serviceRequest = params.resource<ServiceRequest>('serviceRequest', 'ServiceRequest');
        if (!serviceRequest) throw badRequest('Parameter "serviceRequest" (the referral: procedure, reason, supporting information) is required', ['Parameters.parameter[serviceRequest]']);
        const appointment = await booking.book(ctx, repo, { slot: params.requiredString('slot'), patient: params.requiredString('patient'), serviceRequest });
        return { ...router.written(appointment, 201, request.prefer), audited: true };
      },
    },
    {
      name: 'cancel',
      levels: ['instance'],
      resourceTypes: ['Appointment'],
      methods: ['POST'],
      async handle({ ctx, repo, router, request, id }) {
        const params = OperationParameters.from(request.body ?? { resourceType: 'Parameters' }, 'cancel');
        const appointment = await booking.cancel(ctx, repo, id as string, params.string('reason'));
        return { ...router.written(appointment, 200, request.prefer), audited: true };
      },
    },
    {
      name: 'confirm',
      levels: ['instance'],
      resourceTypes: ['Appointment'],
      methods: ['POST'],
      async handle({ ctx, repo, id }) {
        return { status: 200, resource: summaryParameters(await booking.confirm(ctx, repo, id as string)), audited: true };
      },
    },
    {
      name: 'reject',
      levels: ['instance'],
      resourceTypes: ['Appointment'],
      methods: ['POST'],
      async handle({ ctx, repo, request, id }) {
        const reason = OperationParameters.from(request.body, 'reject').requiredString('reason');
        return { status: 200, resource: summaryParameters(await booking.reject(ctx, repo, id as string, reason)), audited: true };
      },
    },
  ];
}

/** The ledger's view of a booking, which both sides may see whatever the patient's consent. */
function summaryParameters(summary: BookingSummary): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'appointment', valueReference: { reference: summary.appointment } },
    { name: 'slot', valueReference: { reference: summary.slot } },
    { name: 'state', valueCode: summary.state },
    { name: 'start', valueInstant: summary.start.toISOString() },
    { name: 'end', valueInstant: summary.end.toISOString() },
  ];
  if (summary.clinic) parameter.push({ name: 'clinic', valueReference: { reference: summary.clinic } });
  if (summary.procedureCode) parameter.push({ name: 'procedure', valueCoding: { code: summary.procedureCode, display: summary.procedureDisplay } });
  return { resourceType: 'Parameters', parameter };
}

function integerParameter(body: unknown, name: string): number | undefined {
  const p = ((body as Parameters | undefined)?.parameter ?? []).find((x) => x.name === name);
  if (!p) return undefined;
  if (!Number.isInteger(p.valueInteger)) throw badRequest(`Parameter "${name}" must be an integer (valueInteger)`, [`Parameters.parameter[${name}]`]);
  return p.valueInteger;
}
