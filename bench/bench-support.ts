import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { cpuMark, cpuPer } from './cpu-usage.js';

/**
 * The Node flags the API runs with (package.json's start, the Dockerfile's CMD;
 * test/node-flags.spec.ts keeps them alike): a bench starts it the same way. Allocation-site
 * pretenuring is off: objects a literal made at start-up outlive it, so V8 allocates that
 * literal's later, per-request objects straight in the old generation, where, dead, they still
 * hold what they point to through every minor GC until a major one (measured on a cached read: GC
 * from ~17 to ~4 µs a request, server CPU -25%). Source maps are on: the stacks of logged errors
 * name the TypeScript file and line (`apps/api/src/….ts:8:47`) rather than the compiled one's,
 * for ~20 MB more resident memory (the maps, read as modules load) and ~30-90 µs more for each
 * stack read, which only a logged error does; an error whose stack is not read costs the same.
 */
export const SERVER_NODE_FLAGS = ['--no-allocation-site-pretenuring', '--enable-source-maps'];

/** The flags a bench starts the API with: SERVER_NODE_FLAGS, or V8's defaults with BENCH_DEFAULT_V8=1. */
export const apiNodeFlags = (): string[] => (process.env.BENCH_DEFAULT_V8 ? [] : SERVER_NODE_FLAGS);

export interface Target {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** The server process: its CPU time per request is reported next to the rate. */
  pid?: number;
}

export interface RunResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU µs per request of the server process (null without its pid or /proc) and of autocannon. */
  server_us: number | null;
  client_us: number | null;
}

/** Starts a server process (with `nodeFlags` before its script) and waits until `readyUrl` answers. */
export async function startServer(
  script: string,
  env: Record<string, string>,
  readyUrl: string,
  nodeFlags: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeFlags, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(readyUrl);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not become ready at ${readyUrl}`);
}

export async function load(target: Target, seconds: number, connections: number): Promise<RunResult> {
  const start = cpuMark(target.pid);
  const r = await autocannon({ url: target.url, connections, duration: seconds, headers: target.headers });
  const cpu = cpuPer(start, cpuMark(target.pid), r.requests.total);
  const us = (ms: number | null) => (ms === null ? null : Number((ms * 1000).toFixed(1)));
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    server_us: us(cpu.api),
    client_us: us(cpu.load_generator),
  };
}

/**
 * On a 2-core machine autocannon shares the CPUs with the server, so a rate also measures how
 * much the load generator spends per response: the server's own CPU per request tells the two
 * apart. One line per target: medians of the rounds.
 */
export function cpuLine(name: string, runs: RunResult[]): string {
  const med = (xs: (number | null)[]) => {
    const known = xs.filter((x): x is number => x !== null);
    return known.length ? median(known).toFixed(1) : 'n/a';
  };
  return `${name}: server ${med(runs.map((r) => r.server_us))} µs CPU/request, autocannon ${med(runs.map((r) => r.client_us))} µs`;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Interleaved rounds (A, B, A, B, ...) so machine noise hits both targets alike. */
export async function compare(targets: Target[], rounds: number, seconds: number, connections: number) {
  for (const t of targets) await load(t, 2, connections); // warm-up
  const runs: Record<string, RunResult[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++)
    for (const t of targets) runs[t.name].push(await load(t, seconds, connections));
  return runs;
}

/** The resident memory of a process in MiB, from /proc (null where there is none). */
export function residentMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

/**
 * Runs `work` while sampling a process's resident memory every 20 ms: before, at the peak, and
 * `settleMs` after the work ended (what the process keeps).
 */
export async function residentDuring<T>(
  pid: number | undefined,
  work: () => Promise<T>,
  settleMs = 3_000,
): Promise<{ value: T; before: number | null; peak: number | null; after: number | null }> {
  const before = residentMiB(pid);
  let peak = before;
  const sample = setInterval(() => {
    const now = residentMiB(pid);
    if (now !== null && (peak === null || now > peak)) peak = now;
  }, 20);
  try {
    const value = await work();
    await sleep(settleMs);
    return { value, before, peak, after: residentMiB(pid) };
  } finally {
    clearInterval(sample);
  }
}
