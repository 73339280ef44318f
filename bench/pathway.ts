/**
 * Care-pathway benchmark, standalone beside `npm run bench`: `npm run build && node dist/bench/pathway.js`.
 * Runs Tonet in this process on a fresh PostgreSQL database (`tonet_pathway_bench`) and measures:
 *
 * 1. The overdue sweep over PATHWAY_BENCH_PATIENTS (100,000) enrolled patients × 8 diabetes activities, of which
 *    PATHWAY_BENCH_OVERDUE (10%) are past due: the first run raises a missed-test Flag each (target ≤ 30 s),
 *    the second run raises none. The enrolments are written as pathway_activity rows with SQL (a hundred
 *    thousand $apply calls would measure $apply, not the sweep); the Flags are written through the repository.
 * 2. What the rules add to ingest: PATHWAY_BENCH_MESSAGES (2,000) HL7 HbA1c results through the ingest
 *    pipeline for patients on no pathway, then as many for patients on the pathway (the rules run, values
 *    ≥ 8.0% raise Flags), in alternating rounds; target: ≤ 10% more time per message.
 */
import { Client } from 'pg';
import type { RequestContext } from '../src/core/context';
import { loadConfig } from '../src/config';
import { sql } from '../src/core/sql';
import { INSTITUTION_NUMBER_SYSTEM } from '../src/ingest/facility';
import { createLogger } from '../src/core/logger';
import { checkOverdue } from '../src/pathway/overdue';
import { PathwayLedger } from '../src/store/pathway-ledger';
import { buildServer } from '../src/server';
import { log } from './progress';

const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tonet_pathway_bench';
const PATIENTS = Number(process.env.PATHWAY_BENCH_PATIENTS ?? 100_000);
const OVERDUE = Number(process.env.PATHWAY_BENCH_OVERDUE ?? 0.1);
const MESSAGES = Number(process.env.PATHWAY_BENCH_MESSAGES ?? 2_000);
const ROUNDS = 4;

async function main(): Promise<void> {
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${DATABASE}`;
  const config = { ...loadConfig({ LOG_LEVEL: 'warn', PORT: '0', MLLP_PORT: '0' }), databaseUrl: url.toString() };
  const tonet = await buildServer(config, createLogger('warn'));
  try {
    // The benchmark's operator, as the network office: the server itself does not set up a benchmark's facility.
    const office: RequestContext = { clientId: 'bench-office', clientName: 'bench office', role: 'admin', purposeOfUse: 'OPERATIONS', requestId: 'bench' };
    const hospital = await tonet.repo.create(office, { resourceType: 'Organization', name: 'Bench hospital', identifier: [{ system: INSTITUTION_NUMBER_SYSTEM, value: '1310009999' }] });
    const gateway: RequestContext = { clientId: 'bench-gateway', clientName: 'bench gateway', role: 'gateway', organization: `Organization/${hospital.id}`, purposeOfUse: 'TREAT', requestId: 'bench' };

    log(`seeding ${PATIENTS.toLocaleString('en-US')} enrolled patients × 8 activities, ${OVERDUE * 100}% overdue`);
    await seedEnrolments(tonet.db, `Organization/${hospital.id}`);
    await tonet.db.query(sql`ANALYZE pathway_activity`);

    const today = new Date().toISOString().slice(0, 10);
    const ledgerIn = (on: typeof tonet.repo) => new PathwayLedger(on.connection);
    let started = performance.now();
    const first = await checkOverdue(tonet.repo, ledgerIn, today);
    const firstSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const second = await checkOverdue(tonet.repo, ledgerIn, today);
    const secondSeconds = (performance.now() - started) / 1000;
    log(`sweep: ${first.raised} Flags in ${firstSeconds.toFixed(1)} s; again: ${second.raised} in ${secondSeconds.toFixed(1)} s`);

    // Ingest: local patients H-0… (not on a pathway) and P-0… (linked to enrolled regional patients r-0…).
    const send = async (localId: string, n: number, value: string) => {
      const at = new Date(Date.now() - 86_400_000).toISOString().slice(0, 16).replace(/[-T:]/g, '');
      const message = [
        `MSH|^~\\&|LAB|SEND|GW|RCV|${at}00||OUL^R22^OUL_R22|B-${localId}-${n}|P|2.5`,
        `PID|0001||${localId}^^^^PI||検査^花子^^^^^L^I||19560101|F`,
        `PV1|0001|O|01^^^^^C`,
        `SPM|1|O-${localId}-${n}S||023^血清^JC10|||||||||||||${at}`,
        `OBR|1|O-${localId}-${n}|O-${localId}-${n}F|E001^検体検査^99O03|||${at.slice(0, 8)}|${at.slice(0, 8)}`,
        `ORC|SC|O-${localId}-${n}|O-${localId}-${n}F||CM||||${at}00`,
        `OBX|1|NM|3D046000001920402^HbA1c^JC10||${value}|%^%^99XYZ|4.6-6.2|${Number(value) >= 6.2 ? 'H' : ''}|||F|||${at}`,
      ].join('\r') + '\r';
      const result = await tonet.ingest.receive(Buffer.from(message), { transport: 'http', ctx: gateway });
      if (result.code !== 'AA') throw new Error(`ingest ${result.code}: ${result.ack}`);
    };
    const perRound = Math.ceil(MESSAGES / ROUNDS);
    log(`ingest warm-up: creating ${perRound * 2} local patients`);
    for (let i = 0; i < perRound; i++) {
      await send(`H-${i}`, 0, '6.0');
      await send(`P-${i}`, 0, '6.0');
    }
    await tonet.db.query(sql`INSERT INTO patient_link (local_id, regional_id, organization)
      SELECT r.id, 'r-' || substr(t.value, 3), ${`Organization/${hospital.id}`} FROM sp_token t JOIN resource r ON r.rid = t.rid
      WHERE t.resource_type = 'Patient' AND t.code = 'identifier' AND t.value LIKE 'P-%'`);
    const times = { off: 0, normal: 0, abnormal: 0 };
    const flagsBefore = await countFlags(tonet.db);
    for (let round = 1; round <= ROUNDS; round++) {
      // The same values for patients off and on the pathway; on it, a quarter are ≥ 8.0% and raise a Flag.
      for (const [kind, prefix] of [['off', 'H'], ['on', 'P']] as const) {
        for (let i = 0; i < perRound; i++) {
          const value = i % 4 === 0 ? (8 + ((i + round) % 20) / 10).toFixed(1) : (6 + ((i + round) % 20) / 10).toFixed(1);
          const start = performance.now();
          await send(`${prefix}-${i}`, round, value);
          const spent = performance.now() - start;
          if (kind === 'off') times.off += spent;
          else if (Number(value) >= 8) times.abnormal += spent;
          else times.normal += spent;
        }
      }
    }
    const abnormal = (await countFlags(tonet.db)) - flagsBefore;
    const total = perRound * ROUNDS;
    const abnormalMessages = Math.ceil(perRound / 4) * ROUNDS;
    const msOff = times.off / total;
    const msOn = (times.normal + times.abnormal) / total;
    const msNormal = times.normal / (total - abnormalMessages);
    const msAbnormal = times.abnormal / abnormalMessages;
    const overhead = (msOn / msOff - 1) * 100;
    log(`ingest ms/message: off pathway ${msOff.toFixed(2)}, on pathway ${msOn.toFixed(2)} (normal ${msNormal.toFixed(2)}, abnormal with Flag ${msAbnormal.toFixed(2)}; ${abnormal} Flags): +${overhead.toFixed(1)}%`);

    const results = {
      patients: PATIENTS,
      activities: PATIENTS * 8,
      overdueShare: OVERDUE,
      sweep: { raised: first.raised, seconds: firstSeconds, secondRunRaised: second.raised, secondRunSeconds: secondSeconds, target: '≤ 30 s', pass: firstSeconds <= 30 && second.raised === 0 },
      ingest: { messagesEach: perRound * ROUNDS, msPerMessageOffPathway: msOff, msPerMessageOnPathway: msOn, msPerNormalResultOnPathway: msNormal, msPerAbnormalResultWithFlag: msAbnormal, normalOverheadPercent: (msNormal / msOff - 1) * 100, abnormalFlags: abnormal, overheadPercent: overhead, target: '≤ 10%', pass: overhead <= 10 },
    };
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } finally {
    await tonet.close();
  }
}

/** One statement: 8 diabetes activities per patient, due dates spread over the year, OVERDUE of them in the past. */
async function seedEnrolments(db: import('../src/store/db/database').Db, hospital: string): Promise<void> {
  const [plan] = await db.query<{ content: string }>(sql`SELECT r.content FROM resource r
    WHERE r.resource_type = 'PlanDefinition' AND NOT r.deleted AND r.content::jsonb ->> 'name' = 'diabetes' LIMIT 1`);
  const actions = plan ? (JSON.parse(plan.content).action as { definitionCanonical: string; title: string }[]) : [];
  if (!actions.length) throw new Error('the diabetes PlanDefinition was not loaded');
  const definitions = actions;
  await db.query(sql`
    INSERT INTO pathway_activity (care_plan_id, activity_key, regional_id, pathway_url, pathway_name, definition, title, codes, interval_months, rules,
      organizations, follow_up, started, due_date)
    SELECT 'cp-' || p, split_part(d.canonical, '|', 1), 'r-' || p, 'urn:tonet:pathway:diabetes', 'diabetes', d.canonical, d.title,
      CASE WHEN d.canonical LIKE '%:hba1c|%' THEN ARRAY['http://medis.or.jp/CodeSystem/master-JLAC10-17digits|3D046000001920402'] ELSE ARRAY['urn:bench|' || d.title] END, 3,
      CASE WHEN d.canonical LIKE '%:hba1c|%' THEN '[{"id":"hba1c-high","severity":"high","message":"HbA1c ≥ 8.0%","when":[{"comparator":"ge","threshold":8}]}]'::jsonb ELSE '[]'::jsonb END,
      ARRAY[${hospital}, ${hospital}], ${hospital}, current_date - 30,
      CASE WHEN random() < ${OVERDUE} THEN current_date - (1 + floor(random() * 60))::int ELSE current_date + (1 + floor(random() * 300))::int END
    FROM generate_series(0, ${PATIENTS - 1}) AS p, unnest(${definitions.map((d) => d.definitionCanonical)}::text[], ${definitions.map((d) => d.title)}::text[]) AS d(canonical, title)`);
}

async function countFlags(db: import('../src/store/db/database').Db): Promise<number> {
  const [row] = await db.query<{ n: string }>(sql`SELECT count(*) AS n FROM pathway_alert WHERE kind = 'abnormal'`);
  return Number(row.n);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`pathway bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
);
