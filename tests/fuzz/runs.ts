/**
 * How many inputs each fuzz property tries: a short seeded run in `npm test`, FUZZ_RUNS (10,000 in
 * `npm run fuzz`) otherwise. FUZZ_SEED replays a failure that fast-check reported.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
export const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

export const options = { numRuns: RUNS, seed: SEED, endOnFailure: true };

/**
 * For a surface whose inputs each cost a database write (a stored study, a kept refusal): `smokeRuns` in
 * `npm test`, to keep its smoke within a second or two; FUZZ_RUNS when set, as for every other surface.
 */
export function optionsFor(smokeRuns: number): typeof options {
  return { ...options, numRuns: process.env.FUZZ_RUNS ? RUNS : smokeRuns };
}
