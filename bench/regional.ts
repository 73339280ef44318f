/**
 * The phases over a consent state (issues 5 and 6): the region's facilities and a clinic linked to part of
 * the patients are set up once, then consent cost and GraphQL are measured on it. BENCH_CONSENT=0 skips
 * both (GraphQL asks as the clinic's clinician); BENCH_GRAPHQL=0 skips GraphQL alone. The server's memory
 * is watched throughout, so its peak counts in the whole run's.
 */
import type { Pool } from 'pg';
import { ConsentCost, measureConsentCost, setUpConsent } from './consent';
import { GraphqlResult, measureGraphql } from './graphql';
import { BenchOptions } from './options';
import type { PhaseMemory, ServerProcess } from './server-process';

export interface RegionalResults {
  consent?: ConsentCost;
  graphql?: GraphqlResult;
  regionalMemory?: PhaseMemory;
}

export async function regionalPhases(options: BenchOptions, server: ServerProcess, pool: Pool, patientIds: string[], resources: number): Promise<RegionalResults> {
  if (process.env.BENCH_CONSENT === '0') return {};
  const { result, memory } = await server.memory.during(async () => {
    const state = await setUpConsent(options, server, pool, patientIds);
    const consent = await measureConsentCost(options, server, state, patientIds);
    // Patient 0 is linked at the clinic, so the timeline passes through the clinician's grants.
    const graphql = process.env.BENCH_GRAPHQL === '0' ? undefined : await measureGraphql(options, server, state.clinicianToken, patientIds[0], resources);
    return { consent, graphql };
  });
  return { ...result, regionalMemory: memory };
}
