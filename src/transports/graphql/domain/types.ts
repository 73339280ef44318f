/**
 * The hand-written domain schema front ends rely on (issue contract: fields may be added, never renamed).
 */
import 'reflect-metadata';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { COHORT_DIMENSIONS } from '../../../research/cohort';
import { TIMELINE_KINDS } from '../../../records/timeline';

export enum TimelineKind {
  ENCOUNTER = 'ENCOUNTER',
  CONDITION = 'CONDITION',
  ALLERGY = 'ALLERGY',
  MEDICATION = 'MEDICATION',
  INJECTION = 'INJECTION',
  LAB_RESULT = 'LAB_RESULT',
  IMAGING = 'IMAGING',
  DOCUMENT = 'DOCUMENT',
  VITAL = 'VITAL',
}
registerEnumType(TimelineKind, { name: 'TimelineKind' });

export enum CohortDimension {
  SEX = 'SEX',
  AGE_BAND = 'AGE_BAND',
  MUNICIPALITY = 'MUNICIPALITY',
}
registerEnumType(CohortDimension, { name: 'CohortDimension' });

// The GraphQL enums and the modules' kinds must stay one list.
const sameValues = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
if (!sameValues(Object.values(TimelineKind), TIMELINE_KINDS) || !sameValues(Object.values(CohortDimension), COHORT_DIMENSIONS)) {
  throw new Error('GraphQL enums differ from the record and research modules');
}

@ObjectType()
export class PageInfo {
  @Field(() => String, { nullable: true }) endCursor?: string;
  @Field(() => Boolean) hasNextPage!: boolean;
}

@ObjectType()
export class TimelineEntry {
  @Field(() => GraphQLDateTime) at!: Date;
  @Field(() => TimelineKind) kind!: TimelineKind;
  @Field(() => String) title!: string;
  @Field(() => String, { nullable: true, description: 'Name of the facility that supplied it (or "本人" for the resident\'s own entry)' }) sourceFacility?: string;
  @Field(() => Boolean, { nullable: true }) abnormal?: boolean;
  @Field(() => GraphQLJSON, { description: 'The FHIR resource as JSON' }) resource!: unknown;
}

@ObjectType()
export class TimelineConnection {
  @Field(() => [TimelineEntry]) edges!: TimelineEntry[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class LabPoint {
  @Field(() => GraphQLDateTime) at!: Date;
  @Field(() => Float, { nullable: true }) value?: number;
  @Field(() => Boolean, { nullable: true }) abnormal?: boolean;
  @Field(() => String, { nullable: true }) sourceFacility?: string;
}

@ObjectType()
export class LabTrend {
  @Field(() => String) code!: string;
  @Field(() => String, { nullable: true }) display?: string;
  @Field(() => String, { nullable: true }) unit?: string;
  @Field(() => Float, { nullable: true }) low?: number;
  @Field(() => Float, { nullable: true }) high?: number;
  @Field(() => [LabPoint]) points!: LabPoint[];
}

@ObjectType()
export class EmergencySummary {
  @Field(() => GraphQLJSON) patient!: unknown;
  @Field(() => [GraphQLJSON]) entries!: unknown[];
}

@InputType()
export class CohortCriteria {
  @Field(() => String, { nullable: true }) icd10Prefix?: string;
  @Field(() => String, { nullable: true }) labCode?: string;
  @Field(() => Float, { nullable: true }) labMin?: number;
  @Field(() => Float, { nullable: true }) labMax?: number;
  @Field(() => String, { nullable: true }) hotPrefix?: string;
  @Field(() => Int, { nullable: true }) ageMin?: number;
  @Field(() => Int, { nullable: true }) ageMax?: number;
  @Field(() => String, { nullable: true }) sex?: string;
  @Field(() => String, { nullable: true }) municipality?: string;
  @Field(() => GraphQLDateTime, { nullable: true }) from?: Date;
  @Field(() => GraphQLDateTime, { nullable: true }) to?: Date;
}

@ObjectType()
export class CohortGroup {
  @Field(() => [String]) key!: string[];
  @Field(() => Int, { nullable: true }) count!: number | null;
  @Field(() => Boolean) suppressed!: boolean;
  @Field(() => Float, { nullable: true }) mean!: number | null;
  @Field(() => [Float], { nullable: true }) quartiles!: number[] | null;
}

@ObjectType()
export class CohortStatistics {
  @Field(() => [CohortGroup]) groups!: CohortGroup[];
  @Field(() => Int) suppressedGroups!: number;
}

@ObjectType({ description: "A resident's own view of their record" })
export class MyRecord {
  @Field(() => ID) patientId!: string;
  @Field(() => GraphQLJSON) patient!: unknown;
  @Field(() => [GraphQLJSON], { description: 'Vital-sign Observations the resident entered' }) vitals!: unknown[];
  @Field(() => GraphQLJSON, { nullable: true, description: 'The emergency information (Basic) the resident registered' }) emergencyInfo?: unknown;
  @Field(() => [GraphQLJSON]) consents!: unknown[];
  @Field(() => [GraphQLJSON], { description: 'AuditEvents: who accessed the record' }) accessLog!: unknown[];
}

@InputType()
export class VitalsInput {
  @Field(() => GraphQLDateTime, { nullable: true }) at?: Date;
  @Field(() => Float, { nullable: true, description: 'cm' }) height?: number;
  @Field(() => Float, { nullable: true, description: 'kg' }) weight?: number;
  @Field(() => Int, { nullable: true, description: 'mmHg' }) systolic?: number;
  @Field(() => Int, { nullable: true, description: 'mmHg' }) diastolic?: number;
}

@InputType()
export class EmergencyContactInput {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) relationship?: string;
  @Field(() => String) phone!: string;
}

@InputType()
export class EmergencyInfoInput {
  @Field(() => [EmergencyContactInput], { nullable: true }) contacts?: EmergencyContactInput[];
  @Field(() => [String], { nullable: true, description: 'Allergies in the resident\'s words' }) allergies?: string[];
  @Field(() => String, { nullable: true, description: '"Organization/<id>" of the family doctor (かかりつけ医)' }) familyDoctor?: string;
  @Field(() => String, { nullable: true }) notes?: string;
}

@ObjectType()
export class LinkCardResult {
  @Field(() => GraphQLJSON) patient!: unknown;
  @Field(() => GraphQLJSON) consent!: unknown;
}
