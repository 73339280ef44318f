/** Benchmark sizes and switches, from the environment or `--name=value` flags (flags win). */
export interface BenchOptions {
  seed: number;
  patients: number;
  /** Share of the bundles ingested by one client; the rest go through the concurrent clients. */
  singleClientShare: number;
  concurrentClients: number;
  /** Samples per search kind (each sample runs the HTTP search and its SQL twin). */
  samples: number;
  crudConnections: number;
  crudSeconds: number;
  /** Versions of the resource whose history is paged through in the stream check. */
  historySize: number;
  historyPageSize: number;
  /** Step 6, HL7 v2 over MLLP; BENCH_MLLP=0 skips it. */
  mllp: boolean;
  /** Lab-result messages per throughput phase (1 connection, then as many as mllpConnections); the paced latency phase sends half as many. */
  mllpMessages: number;
  mllpConnections: number;
  /** Messages the connections send as fast as the server takes them (0 skips the flood). */
  mllpFlood: number;
  /** Distinct patients the lab results are spread over. */
  mllpPatients: number;
  /** PostgreSQL server URL (any database); the benchmark database is created beside it. */
  postgresUrl: string;
  database: string;
  /** Write a V8 CPU profile of the server process into bench/results/profiles. */
  cpuProfile: boolean;
}

export function loadOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument "${arg}" (flags look like --patients=200)`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const get = (flag: string, name: string): string | undefined => flags.get(flag) ?? env[name];
  const int = (flag: string, name: string, fallback: number, min = 1): number => {
    const text = get(flag, name);
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} (--${flag}) must be an integer ≥ ${min}, got "${text}"`);
    return value;
  };
  const scale = Number(get('scale', 'BENCH_SCALE') ?? '1');
  if (!(scale > 0)) throw new Error('BENCH_SCALE must be a positive number');
  // Two patients fill one bundle, so the count is kept even.
  const patients = Math.max(2, 2 * Math.round(int('patients', 'BENCH_PATIENTS', 2000) * scale / 2));
  return {
    seed: int('seed', 'BENCH_SEED', 20261125, 0),
    patients,
    singleClientShare: 0.25,
    concurrentClients: int('clients', 'BENCH_CLIENTS', 4),
    samples: int('samples', 'BENCH_SAMPLES', 300),
    crudConnections: int('connections', 'BENCH_CONNECTIONS', 16),
    crudSeconds: int('crud-seconds', 'BENCH_CRUD_SECONDS', 20),
    historySize: int('history', 'BENCH_HISTORY', Math.max(1000, Math.round(100_000 * Math.min(1, patients / 2000)))),
    historyPageSize: int('history-page', 'BENCH_HISTORY_PAGE', 200),
    mllp: (get('mllp', 'BENCH_MLLP') ?? '1') !== '0',
    mllpMessages: int('mllp-messages', 'BENCH_MLLP_MESSAGES', 10_000),
    mllpConnections: int('mllp-connections', 'BENCH_MLLP_CONNECTIONS', 8),
    mllpFlood: int('mllp-flood', 'BENCH_MLLP_FLOOD', 100_000, 0),
    mllpPatients: int('mllp-patients', 'BENCH_MLLP_PATIENTS', 5_000),
    postgresUrl: get('postgres', 'BENCH_POSTGRES_URL') ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    database: get('database', 'BENCH_DATABASE') ?? 'tonet_bench',
    cpuProfile: (get('cpu-profile', 'BENCH_CPU_PROFILE') ?? '') === 'true' || get('cpu-profile', 'BENCH_CPU_PROFILE') === '1',
  };
}
