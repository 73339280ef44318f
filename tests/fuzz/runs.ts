/**
 * How many inputs each fuzz property tries: a short seeded run in `npm test`, FUZZ_RUNS (10,000 in
 * `npm run fuzz`) otherwise. FUZZ_SEED replays a failure that fast-check reported.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
export const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

export const options = { numRuns: RUNS, seed: SEED, endOnFailure: true };
