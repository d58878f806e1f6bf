/**
 * CPU time per unit of work for the benches, read from /proc (Linux): the API child, every
 * PostgreSQL process, and the load generator itself. Steadier than rates on a shared machine.
 */
import fs from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat times on Linux

/** /proc/<pid>/stat fields after the command name: [0] state, [1] ppid, [11..14] utime stime cutime cstime. */
function procStat(pid: number | string): { comm: string; fields: string[] } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return null;
  }
}

const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;

function processCpuMs(pid: number): number | null {
  const stat = procStat(pid);
  return stat ? ticksToMs(Number(stat.fields[11]) + Number(stat.fields[12])) : null;
}

/**
 * CPU time of every PostgreSQL process on this machine, exited backends included (the postmaster
 * holds what its reaped children used); null without /proc. Other users of the server count too.
 */
function postgresCpuMs(): number | null {
  if (!fs.existsSync('/proc/self/stat')) return null;
  const stats = fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((pid) => ({ pid, stat: procStat(pid) }))
    .filter((p) => p.stat?.comm === 'postgres');
  const pids = new Set(stats.map((p) => p.pid));
  let ticks = 0;
  for (const { stat } of stats) {
    const f = (stat as { fields: string[] }).fields;
    ticks += Number(f[11]) + Number(f[12]);
    if (!pids.has(f[1])) ticks += Number(f[13]) + Number(f[14]);
  }
  return stats.length ? ticksToMs(ticks) : null;
}

export interface CpuMark {
  api: number | null;
  postgres: number | null;
  self: number;
}

export function cpuMark(apiPid?: number): CpuMark {
  const { user, system } = process.cpuUsage();
  return {
    api: apiPid === undefined ? null : processCpuMs(apiPid),
    postgres: postgresCpuMs(),
    self: (user + system) / 1000,
  };
}

/** CPU ms per unit of work between two marks, per side; null where a side could not be read. */
export function cpuPer(from: CpuMark, to: CpuMark, units: number) {
  const per = (a: number | null, b: number | null) =>
    a === null || b === null || units === 0 ? null : Number(((b - a) / units).toFixed(3));
  return {
    api: per(from.api, to.api),
    postgres: per(from.postgres, to.postgres),
    load_generator: per(from.self, to.self),
  };
}
