/**
 * Where the machine's CPU went during a phase: the Tonet process, every PostgreSQL process, and this
 * benchmark process (the load generator shares the machine), in CPU seconds from /proc. With two cores,
 * the sum shows whether a phase was CPU-bound and on which side.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSplit {
  serverSeconds: number;
  postgresSeconds: number;
  benchSeconds: number;
  wallSeconds: number;
}

const TICKS_PER_SECOND = 100;

export class CpuMeter {
  private readonly start: { server: number; postgres: number; bench: NodeJS.CpuUsage; wall: bigint };

  constructor(private readonly serverPid: number) {
    this.start = { server: processSeconds(serverPid), postgres: postgresSeconds(), bench: process.cpuUsage(), wall: process.hrtime.bigint() };
  }

  read(): CpuSplit {
    const bench = process.cpuUsage(this.start.bench);
    return {
      serverSeconds: round(processSeconds(this.serverPid) - this.start.server),
      postgresSeconds: round(postgresSeconds() - this.start.postgres),
      benchSeconds: round((bench.user + bench.system) / 1e6),
      wallSeconds: round(Number(process.hrtime.bigint() - this.start.wall) / 1e9),
    };
  }
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

/**
 * PostgreSQL backends come and go with connections, so their time is summed over the processes alive now.
 * A backend that exits within a phase takes its time with it; the benchmark's pools stay open throughout.
 */
function postgresSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += processSeconds(entry);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return total;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
