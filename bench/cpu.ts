/**
 * Where the machine's CPU went during a phase, in CPU seconds from /proc: the Tonet process, PostgreSQL
 * (the backends serving the benchmark database plus the shared background processes), this benchmark
 * process (the load generator shares the machine), and everything else. "Other" matters: on a shared
 * two-core machine, a test suite running beside the benchmark takes CPU from both sides of every comparison.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSplit {
  serverSeconds: number;
  postgresSeconds: number;
  benchSeconds: number;
  /** Busy CPU time of the whole machine not accounted for above (other processes, other databases). */
  otherSeconds: number;
  wallSeconds: number;
}

const TICKS_PER_SECOND = 100;

interface Reading {
  server: number;
  /** CPU seconds per PostgreSQL process serving the benchmark, by pid. */
  postgres: Map<string, number>;
  machineBusy: number;
  bench: NodeJS.CpuUsage;
  wall: bigint;
}

export class CpuMeter {
  private readonly start: Reading;

  constructor(
    private readonly serverPid: number,
    private readonly database: string
  ) {
    this.start = this.take();
  }

  read(): CpuSplit {
    const now = this.take();
    const bench = process.cpuUsage(this.start.bench);
    const serverSeconds = now.server - this.start.server;
    // Per process, so that a backend that exits within the phase (idle pool connections are closed) cannot
    // make the sum go down; its time since the last reading is lost, so this undercounts slightly.
    let postgresSeconds = 0;
    for (const [pid, seconds] of now.postgres) postgresSeconds += seconds - (this.start.postgres.get(pid) ?? 0);
    const benchSeconds = (bench.user + bench.system) / 1e6;
    const busy = now.machineBusy - this.start.machineBusy;
    return {
      serverSeconds: round(serverSeconds),
      postgresSeconds: round(postgresSeconds),
      benchSeconds: round(benchSeconds),
      otherSeconds: round(Math.max(0, busy - serverSeconds - postgresSeconds - benchSeconds)),
      wallSeconds: round(Number(now.wall - this.start.wall) / 1e9),
    };
  }

  private take(): Reading {
    return { server: processSeconds(this.serverPid), postgres: postgresSeconds(this.database), machineBusy: machineBusySeconds(), bench: process.cpuUsage(), wall: process.hrtime.bigint() };
  }
}

export function describeCpu(cpu: CpuSplit): string {
  return `CPU s: server ${cpu.serverSeconds}, PostgreSQL ${cpu.postgresSeconds}, bench ${cpu.benchSeconds}, other ${cpu.otherSeconds} (wall ${cpu.wallSeconds})`;
}

/** utime + stime of one process, seconds (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
function processSeconds(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    // The process ended between listing and reading.
    return 0;
  }
}

/** A client backend's title: "postgres: 15/main: <user> <database> <host>(<port>) <state>". */
const BACKEND_TITLE = /^postgres: [^:]+: \S+ (\S+) (?:\S+\(\d+\)|\[local\])/;

function postgresSeconds(database: string): Map<string, number> {
  const byPid = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const backend = BACKEND_TITLE.exec(title);
      if (!backend || backend[1] === database) byPid.set(entry, processSeconds(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return byPid;
}

/** All CPUs' busy time (everything but idle and iowait), from the first line of /proc/stat. */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
