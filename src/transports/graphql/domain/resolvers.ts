/**
 * Domain queries and mutations for clinician and resident apps and for researchers. Each resolver is a thin
 * adapter over a service in src/records, src/research or src/consent.
 */
import 'reflect-metadata';
import type { Consent, Parameters, Resource } from '@medplum/fhirtypes';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, ID, Info, Int, Mutation, Query, Resolver } from 'type-graphql';
import { emergencySummary } from '../../../consent-workflows/emergency';
import { notFound } from '../../../core/errors';
import { abnormalOf, titleOf } from '../../../records/describe';
import { residentPatient } from '../../../records/resident';
import { auditedByItself, type DomainContext } from './context';
import {
  CohortCriteria,
  CohortDimension,
  CohortStatistics,
  EmergencyInfoInput,
  EmergencySummary,
  LabTrend,
  LinkCardResult,
  MyRecord,
  TimelineConnection,
  TimelineKind,
  VitalsInput,
} from './types';
import { assertMayStart } from '../../../consent/interactions';

@Resolver()
export class RecordResolver {
  @Query(() => TimelineConnection, { description: "One patient's record across facilities, newest first" })
  async patientTimeline(
    @Ctx() { ctx, services, facilityNames }: DomainContext,
    @Arg('patientId', () => ID) patientId: string,
    @Arg('from', () => GraphQLDateTime, { nullable: true }) from?: Date,
    @Arg('to', () => GraphQLDateTime, { nullable: true }) to?: Date,
    @Arg('kinds', () => [TimelineKind], { nullable: true }) kinds?: TimelineKind[],
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
    @Arg('after', () => String, { nullable: true }) after?: string
  ): Promise<TimelineConnection> {
    const page = await services.timeline.page(ctx, { patientId, from, to, kinds, first, after });
    const names = await facilityNames.loadMany(page.entries.map((e) => e.source ?? ''));
    return {
      edges: page.entries.map((e, i) => ({
        at: e.at,
        kind: e.kind as TimelineKind,
        title: titleOf(e.resource),
        sourceFacility: typeof names[i] === 'string' ? (names[i] as string) : undefined,
        abnormal: abnormalOf(e.resource),
        resource: e.resource,
      })),
      pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage },
    };
  }

  @Query(() => LabTrend, { description: 'The values of one test over time, ready to plot' })
  async labTrend(@Ctx() { ctx, services, facilityNames }: DomainContext, @Arg('patientId', () => ID) patientId: string, @Arg('code', () => String) code: string): Promise<LabTrend> {
    const trend = await services.labTrends.trend(ctx, patientId, code);
    const names = await facilityNames.loadMany(trend.points.map((p) => p.source ?? ''));
    return { ...trend, points: trend.points.map((p, i) => ({ at: p.at, value: p.value, abnormal: p.abnormal, sourceFacility: typeof names[i] === 'string' ? (names[i] as string) : undefined })) };
  }

  @Query(() => EmergencySummary, { description: 'The emergency subset (same rules and audit as Patient/$emergency-summary)' })
  async emergencySummary(@Ctx() context: DomainContext, @Info() info: GraphQLResolveInfo, @Arg('cardNumber', () => String) cardNumber: string, @Arg('reason', () => String) reason: string): Promise<EmergencySummary> {
    const { ctx, services } = context;
    // Its entries are also what the declaration's rate limit counts.
    auditedByItself(context, info);
    const bundle = await emergencySummary(services.repo, services.audit, ctx, { cardNumber, reason });
    const [patient, ...entries] = (bundle.entry ?? []).map((e) => e.resource as Resource);
    return { patient, entries };
  }

  @Query(() => CohortStatistics, { description: 'Aggregate counts, means and quartiles over the region (researchers); small cells suppressed' })
  async cohortStatistics(
    @Ctx() { ctx, services }: DomainContext,
    @Arg('criteria', () => CohortCriteria) criteria: CohortCriteria,
    @Arg('groupBy', () => [CohortDimension]) groupBy: CohortDimension[]
  ): Promise<CohortStatistics> {
    return services.cohort.compute(ctx, { ...criteria }, groupBy);
  }
}

@Resolver()
export class ResidentResolver {
  @Query(() => MyRecord, { description: "The resident's own record: vitals, emergency information, consents and who accessed it" })
  async myRecord(@Ctx() { ctx, services }: DomainContext): Promise<MyRecord> {
    const patient = residentPatient(ctx);
    const patientId = patient.slice('Patient/'.length);
    const { residents } = services;
    const [self, vitals, emergencyInfo, consents, accessLog] = await Promise.all([
      services.repo.read(ctx, 'Patient', patientId),
      residents.search(ctx, 'Observation', { subject: patient, category: 'vital-signs', _sort: '-date' }),
      residents.emergencyInfo(ctx, patientId),
      residents.search(ctx, 'Consent', { patient }),
      residents.search(ctx, 'AuditEvent', { patient, _count: '100' }),
    ]);
    return { patientId, patient: self, vitals, emergencyInfo, consents, accessLog };
  }

  @Mutation(() => [GraphQLJSON], { description: 'Records height, weight (and BMI) and blood pressure as vital-sign Observations' })
  async recordVitals(@Ctx() { ctx, services }: DomainContext, @Arg('vitals', () => VitalsInput) vitals: VitalsInput): Promise<unknown[]> {
    return services.residents.recordVitals(ctx, vitals);
  }

  @Mutation(() => GraphQLJSON, { description: 'Registers or replaces the emergency information' })
  async updateEmergencyInfo(@Ctx() { ctx, services }: DomainContext, @Arg('info', () => EmergencyInfoInput) info: EmergencyInfoInput): Promise<unknown> {
    return services.residents.updateEmergencyInfo(ctx, info);
  }
}

@Resolver()
export class ConsentResolver {
  @Mutation(() => LinkCardResult, { description: 'Same as Patient/$link-card: links the facility record and records the facility Consent' })
  async linkCard(
    @Ctx() context: DomainContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('cardNumber', () => String) cardNumber: string,
    @Arg('cardSecret', () => String) cardSecret: string,
    @Arg('localId', () => String) localId: string,
    @Arg('birthDate', () => String) birthDate: string
  ): Promise<LinkCardResult> {
    const { ctx, services } = context;
    auditedByItself(context, info);
    const answer = await services.router.handle(ctx, {
      method: 'POST',
      path: 'Patient/$link-card',
      query: {},
      body: { resourceType: 'Parameters', parameter: [{ name: 'cardNumber', valueString: cardNumber }, { name: 'cardSecret', valueString: cardSecret }, { name: 'localId', valueString: localId }, { name: 'birthDate', valueDate: birthDate }] },
    });
    const parameters = (answer.resource as Parameters).parameter ?? [];
    return { patient: parameters.find((p) => p.name === 'patient')?.resource, consent: parameters.find((p) => p.name === 'consent')?.resource };
  }

  @Mutation(() => GraphQLJSON, { description: 'Sets a Consent to inactive (the resident, the facility it names, or the network office)' })
  async revokeConsent(@Ctx() { ctx, services }: DomainContext, @Arg('consentId', () => ID) consentId: string): Promise<unknown> {
    const consent = (await services.repo.read(ctx, 'Consent', consentId)) as Consent;
    if (!consent) throw notFound(`Consent/${consentId} not found`);
    assertMayStart(ctx, 'revoke-consent');
    return (await services.repo.update(ctx, { ...consent, status: 'inactive' })).resource;
  }
}
