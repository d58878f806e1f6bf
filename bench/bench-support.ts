import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

export interface Target {
  name: string;
  url: string;
  headers?: Record<string, string>;
}

export interface RunResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Starts a server process and waits until `readyUrl` answers. */
export async function startServer(
  script: string,
  env: Record<string, string>,
  readyUrl: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], {
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
  const r = await autocannon({ url: target.url, connections, duration: seconds, headers: target.headers });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
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
