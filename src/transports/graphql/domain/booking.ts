/**
 * Exam booking for clinic and hospital apps: free scanner slots, booking with a referral, cancelling,
 * the hospital's answer and each facility's bookings. Thin adapters over BookingService; the Appointment and
 * ServiceRequest come back only when the caller may read them (the patient's consent decides, as in REST).
 */
import 'reflect-metadata';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Field, ID, Info, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { JJ1017_SYSTEM } from '../../../booking/model';
import type { BookingSummary } from '../../../booking/service';
import { FhirError } from '../../../core/errors';
import { auditedByItself, type DomainContext } from './context';

@ObjectType({ description: 'A free slot of one scanner' })
export class FreeSlot {
  @Field(() => ID) slotId!: string;
  @Field(() => GraphQLDateTime) start!: Date;
  @Field(() => GraphQLDateTime) end!: Date;
  @Field(() => ID) deviceId!: string;
  @Field(() => String, { nullable: true }) deviceName?: string;
  @Field(() => GraphQLJSON, { description: 'The FHIR Slot' }) slot!: unknown;
}

@ObjectType({ description: 'A booking as both sides see it; appointment and serviceRequest are null where the caller may not read them' })
export class ExamBooking {
  @Field(() => ID) appointmentId!: string;
  @Field(() => ID) slotId!: string;
  @Field(() => String, { description: 'proposed (held, awaiting the hospital), booked (confirmed) or cancelled' }) state!: string;
  @Field(() => GraphQLDateTime) start!: Date;
  @Field(() => GraphQLDateTime) end!: Date;
  @Field(() => String, { nullable: true, description: '"Organization/<id>" holding the slot' }) hospital?: string;
  @Field(() => String, { nullable: true, description: '"Organization/<id>" that booked' }) clinic?: string;
  @Field(() => String, { nullable: true }) procedureCode?: string;
  @Field(() => String, { nullable: true }) procedureDisplay?: string;
  @Field(() => Boolean, { description: "Whether the hospital may read the referral now (the patient's consent names it)" }) referralVisibleToHospital!: boolean;
  @Field(() => GraphQLJSON, { nullable: true }) appointment?: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) serviceRequest?: unknown;
}

@InputType({ description: 'The referral (紹介) that travels with the booking as a ServiceRequest' })
export class ExamReferralInput {
  @Field(() => String, { description: 'JJ1017 procedure code' }) procedureCode!: string;
  @Field(() => String, { nullable: true }) procedureDisplay?: string;
  @Field(() => String, { nullable: true, description: 'Reason for the exam, in words' }) reason?: string;
  @Field(() => [String], { nullable: true, description: '"Condition/<id>" diagnoses behind the request' }) reasonReferences?: string[];
  @Field(() => [String], { nullable: true, description: 'Lab results, allergies (contrast agents) and other records: "Type/<id>"' }) supportingInfo?: string[];
  @Field(() => String, { nullable: true }) note?: string;
}

@Resolver()
export class BookingResolver {
  @Query(() => [FreeSlot], { description: "Free slots of a hospital's scanners of one modality (CT, MR…) in [from, to)" })
  async freeSlots(
    @Ctx() { ctx, services }: DomainContext,
    @Arg('hospital', () => ID) hospital: string,
    @Arg('modality', () => String) modality: string,
    @Arg('from', () => GraphQLDateTime) from: Date,
    @Arg('to', () => GraphQLDateTime) to: Date
  ): Promise<FreeSlot[]> {
    const slots = await services.booking.freeSlots(ctx, services.repo, { hospital: reference('Organization', hospital), modality, from, to });
    return slots.map(({ slot, device }) => ({
      slotId: slot.id as string,
      start: new Date(slot.start),
      end: new Date(slot.end),
      deviceId: device.id as string,
      deviceName: device.deviceName?.[0]?.name,
      slot,
    }));
  }

  @Query(() => [ExamBooking], { description: 'Bookings a facility made (clinic) or holds in its slots (hospital), soonest first' })
  async myBookings(@Ctx() context: DomainContext, @Arg('facility', () => ID) facility: string, @Arg('from', () => GraphQLDateTime, { nullable: true }) from?: Date): Promise<ExamBooking[]> {
    const summaries = await context.services.booking.bookings(context.ctx, context.services.repo, reference('Organization', facility), from);
    return withResources(context, summaries);
  }

  @Mutation(() => ExamBooking, { description: 'Same as Appointment/$book: holds the slot (proposed) and sends the referral' })
  async bookExam(
    @Ctx() context: DomainContext,
    @Arg('slotId', () => ID) slotId: string,
    @Arg('patientId', () => ID) patientId: string,
    @Arg('referral', () => ExamReferralInput) referral: ExamReferralInput,
    @Info() info: GraphQLResolveInfo
  ): Promise<ExamBooking> {
    const { ctx, services } = context;
    auditedByItself(context, info);
    const references = (list?: string[]) => list?.map((r) => ({ reference: r }));
    const serviceRequest: ServiceRequest = {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: reference('Patient', patientId) },
      code: { coding: [{ system: JJ1017_SYSTEM, code: referral.procedureCode, display: referral.procedureDisplay }] },
      ...(referral.reason ? { reasonCode: [{ text: referral.reason }] } : {}),
      ...(referral.reasonReferences?.length ? { reasonReference: references(referral.reasonReferences) } : {}),
      ...(referral.supportingInfo?.length ? { supportingInfo: references(referral.supportingInfo) } : {}),
      ...(referral.note ? { note: [{ text: referral.note }] } : {}),
    };
    const appointment = await services.booking.book(ctx, services.repo, { slot: reference('Slot', slotId), patient: reference('Patient', patientId), serviceRequest });
    return (await withResources(context, [await services.booking.summary(ctx, services.repo, appointment.id as string)]))[0];
  }

  @Mutation(() => ExamBooking, { description: 'Same as Appointment/{id}/$cancel: the booking clinic withdraws; the slot is free again' })
  async cancelBooking(
    @Ctx() context: DomainContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('appointmentId', () => ID) appointmentId: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string
  ): Promise<ExamBooking> {
    const { ctx, services } = context;
    auditedByItself(context, info);
    await services.booking.cancel(ctx, services.repo, appointmentId, reason);
    return (await withResources(context, [await services.booking.summary(ctx, services.repo, appointmentId)]))[0];
  }

  @Mutation(() => ExamBooking, { description: 'Same as Appointment/{id}/$confirm (the hospital)' })
  async confirmBooking(@Ctx() context: DomainContext, @Info() info: GraphQLResolveInfo, @Arg('appointmentId', () => ID) appointmentId: string): Promise<ExamBooking> {
    auditedByItself(context, info);
    return (await withResources(context, [await context.services.booking.confirm(context.ctx, context.services.repo, appointmentId)]))[0];
  }

  @Mutation(() => ExamBooking, { description: 'Same as Appointment/{id}/$reject (the hospital), with its reason' })
  async rejectBooking(@Ctx() context: DomainContext, @Info() info: GraphQLResolveInfo, @Arg('appointmentId', () => ID) appointmentId: string, @Arg('reason', () => String) reason: string): Promise<ExamBooking> {
    auditedByItself(context, info);
    return (await withResources(context, [await context.services.booking.reject(context.ctx, context.services.repo, appointmentId, reason)]))[0];
  }
}

/** The ledger's summaries with the Appointment and ServiceRequest the caller may read, in one batched read. */
async function withResources({ ctx, services }: DomainContext, summaries: BookingSummary[]): Promise<ExamBooking[]> {
  const refs = summaries.flatMap((s) => [s.appointment, s.serviceRequest ?? s.appointment]).map((r) => ({ resourceType: r.split('/')[0], id: r.split('/')[1] }));
  const resources = summaries.length ? await services.repo.readMany(ctx, refs) : [];
  const visible = (i: number) => (resources[i] instanceof FhirError ? undefined : resources[i]);
  return Promise.all(
    summaries.map(async (s, i) => ({
      ...s,
      appointmentId: s.appointment.slice('Appointment/'.length),
      slotId: s.slot.slice('Slot/'.length),
      referralVisibleToHospital: await services.booking.hospitalSeesReferral(services.repo, s),
      appointment: visible(2 * i),
      serviceRequest: s.serviceRequest ? visible(2 * i + 1) : undefined,
    }))
  );
}

/** Accepts "Type/<id>" or a bare id. */
function reference(type: string, value: string): string {
  return value.startsWith(`${type}/`) ? value : `${type}/${value}`;
}
