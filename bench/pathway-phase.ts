/**
 * Issue 7's targets inside `npm run bench`: runs bench/pathway.ts (its own database and an in-process
 * server, so it cannot share the child server of the other phases) as a child process and takes its JSON.
 * Its sizes follow BENCH_PATIENTS like the history check (100,000 enrolled patients and 2,000 messages at
 * the default 2,000 patients) unless PATHWAY_BENCH_* say otherwise; BENCH_PATHWAY=0 skips it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BenchOptions } from './options';
import { log } from './progress';

export interface PathwayResult {
  patients: number;
  activities: number;
  overdueShare: number;
  sweep: { raised: number; seconds: number; secondRunRaised: number; secondRunSeconds: number; target: string; pass: boolean };
  ingest: { messagesEach: number; msPerMessageOffPathway: number; msPerMessageOnPathway: number; overheadPercent: number; abnormalFlags: number; target: string; pass: boolean };
}

export async function runPathwayPhase(options: BenchOptions): Promise<PathwayResult | undefined> {
  if (process.env.BENCH_PATHWAY === '0') return undefined;
  const scale = Math.min(1, options.patients / 2000);
  const env = {
    ...process.env,
    BENCH_POSTGRES_URL: options.postgresUrl,
    PATHWAY_BENCH_PATIENTS: process.env.PATHWAY_BENCH_PATIENTS ?? String(Math.max(1000, Math.round(100_000 * scale))),
    PATHWAY_BENCH_MESSAGES: process.env.PATHWAY_BENCH_MESSAGES ?? String(Math.max(200, Math.round(2_000 * scale))),
  };
  log(`pathway: ${Number(env.PATHWAY_BENCH_PATIENTS).toLocaleString('en-US')} enrolled patients, ${env.PATHWAY_BENCH_MESSAGES} messages each way (bench/pathway.ts in a child process)`);
  const child = spawn(process.execPath, [path.resolve(__dirname, 'pathway.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/pathway.ts exited with code ${code}`);
  // The in-process server logs warnings to stdout as one-line JSON before the pretty-printed results.
  const results = stdout.slice(stdout.search(/^\{$/m));
  return JSON.parse(results) as PathwayResult;
}
