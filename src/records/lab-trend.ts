/**
 * The values of one lab test for one patient over time, oldest first, with units and reference range,
 * ready to plot. The code matches any coding system (JLAC10 or a facility's local code; a JLAC10 code with any
 * laboratory's method digits) and the search runs under the caller's access predicate.
 */
import type { Observation } from '@medplum/fhirtypes';
import type { RequestContext } from '../core/context';
import type { AccessPolicy } from '../consent/access';
import type { LabObservations } from '../store/read-models/lab-observations';
import { jlac10TestPattern, SYSTEM } from '../mapping/hl7v2/codesystems';
import { abnormalOf, numericValueOf, titleOf } from './describe';

export interface LabPoint {
  at: Date;
  value?: number;
  abnormal?: boolean;
  source?: string;
}

export interface LabTrend {
  code: string;
  display?: string;
  unit?: string;
  low?: number;
  high?: number;
  points: LabPoint[];
}

const MAX_POINTS = 5000;

export class LabTrends {
  constructor(
    private readonly observations: LabObservations,
    private readonly access: AccessPolicy
  ) {}

  async trend(ctx: RequestContext, patientId: string, code: string): Promise<LabTrend> {
    this.access.assertMayRead(ctx, 'Observation');
    const test = { code, alsoLike: { system: SYSTEM.jlac10, pattern: jlac10TestPattern(code) ?? code } };
    const observations = await this.observations.ofTest(this.access.readScope(ctx), patientId, test, MAX_POINTS);
    const latest = observations[observations.length - 1]?.observation;
    const range = latest?.referenceRange?.[0];
    return {
      code,
      display: latest ? titleOf(latest) : undefined,
      unit: latest?.valueQuantity?.unit ?? latest?.valueQuantity?.code,
      low: range?.low?.value,
      high: range?.high?.value,
      points: observations.flatMap(({ observation, at, source }) => (at ? [{ at, value: numericValueOf(observation), abnormal: abnormalOf(observation), source }] : [])),
    };
  }
}
