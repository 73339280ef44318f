/**
 * Care-pathway dashboard and outcome figures (issue 7), thin over src/pathway/reports.ts.
 */
import 'reflect-metadata';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { Arg, Ctx, Field, Float, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { DomainContext } from './context';

@ObjectType()
export class PathwayDueTest {
  @Field(() => String) activity!: string;
  @Field(() => String, { description: 'ActivityDefinition canonical (url|version)' }) definition!: string;
  @Field(() => String, { description: 'YYYY-MM-DD' }) dueDate!: string;
  @Field(() => Boolean) overdue!: boolean;
}

@ObjectType()
export class PathwayRecentValue {
  @Field(() => String) activity!: string;
  @Field(() => String, { description: 'e.g. "9.1 %" or "150/95 mm[Hg]"' }) text!: string;
  @Field(() => GraphQLDateTime) at!: Date;
  @Field(() => Boolean) abnormal!: boolean;
  @Field(() => ID, { nullable: true }) observationId?: string;
}

@ObjectType()
export class PathwayAlert {
  @Field(() => ID) flagId!: string;
  @Field(() => ID) patientId!: string;
  @Field(() => ID) carePlanId!: string;
  @Field(() => String, { description: 'abnormal | missed' }) kind!: string;
  @Field(() => String, { description: 'high | medium | low' }) severity!: string;
  @Field(() => String) ruleId!: string;
  @Field(() => String) activity!: string;
  @Field(() => GraphQLDateTime) raisedAt!: Date;
  @Field(() => Boolean) acknowledged!: boolean;
  @Field(() => GraphQLJSON, { description: 'The Flag resource' }) flag!: unknown;
}

@ObjectType()
export class PathwayPatient {
  @Field(() => ID, { description: 'The regional Patient id' }) patientId!: string;
  @Field(() => ID) carePlanId!: string;
  @Field(() => [PathwayDueTest], { description: 'Each activity with its next due date, soonest first' }) nextDue!: PathwayDueTest[];
  @Field(() => [PathwayRecentValue], { description: 'The latest result of each activity that has one' }) recentValues!: PathwayRecentValue[];
  @Field(() => Int) openAlerts!: number;
}

@ObjectType()
export class SeverityCount {
  @Field(() => String) severity!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class PathwayDashboard {
  @Field(() => String) pathway!: string;
  @Field(() => ID) facility!: string;
  @Field(() => [PathwayPatient]) patients!: PathwayPatient[];
  @Field(() => [SeverityCount]) openAlertsBySeverity!: SeverityCount[];
  @Field(() => [PathwayAlert], { description: 'Open alerts, most severe first' }) openAlerts!: PathwayAlert[];
}

@ObjectType()
export class PathwayActivityOutcome {
  @Field(() => String) activity!: string;
  @Field(() => String) definition!: string;
  @Field(() => Int, { description: 'Patients with at least one result' }) measured!: number;
  @Field(() => Float, { nullable: true, description: 'Share of measured patients whose latest result fired no alert rule' }) controlledShare!: number | null;
  @Field(() => Float, { nullable: true, description: 'Share of patients past the due date today' }) overdueShare!: number | null;
}

@ObjectType()
export class PathwayOutcomes {
  @Field(() => String) pathway!: string;
  @Field(() => Int) enrolled!: number;
  @Field(() => Int) hba1cMeasured!: number;
  @Field(() => Float, { nullable: true, description: 'Share of measured patients whose latest HbA1c is < 8.0%' }) hba1cControlledShare!: number | null;
  @Field(() => Float, { nullable: true, description: 'Share of activities with an open missed-test alert' }) missedTestRate!: number | null;
  @Field(() => [PathwayActivityOutcome]) activities!: PathwayActivityOutcome[];
}

@Resolver()
export class PathwayResolver {
  @Query(() => PathwayDashboard, { description: "A facility's patients on a pathway (name or PlanDefinition url): next due tests, open alerts, recent values" })
  async pathwayDashboard(
    @Ctx() { ctx, services }: DomainContext,
    @Arg('facility', () => ID) facility: string,
    @Arg('pathway', () => String) pathway: string,
    @Arg('first', () => Int, { defaultValue: 100 }) first = 100
  ): Promise<PathwayDashboard> {
    return services.pathways.dashboard(ctx, facility, pathway, Math.min(Math.max(first, 1), 1000));
  }

  @Query(() => PathwayOutcomes, { description: 'Outcome figures of a pathway over the CarePlans the caller may see (the network office: the region)' })
  async pathwayOutcomes(@Ctx() { ctx, services }: DomainContext, @Arg('pathway', () => String) pathway: string): Promise<PathwayOutcomes> {
    return services.pathways.outcomes(ctx, pathway);
  }
}
