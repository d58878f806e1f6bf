/**
 * Pipeline quota throughput on the machine's PostgreSQL, in a fresh schema (dropped at the end):
 *  1. over HTTP: the API (a child process, production settings) with 100 orgs; 50 clients each
 *     loop validate + complete for one of them; prints pairs/s (target >= 1,000);
 *  2. the SQL function alone: 20 pg connections, one org each, calling reserve_pipeline_quota;
 *     prints reservations/s (target >= 5,000);
 *  3. for comparison, the same with synchronous_commit off, and the floor: a function making only
 *     the writes of a granted reservation (no check, no read) on the same connections.
 * Figures only, no assertions (the machine is shared and noisy). With the database on this machine
 * it also prints the CPU time each side spent per pair and per reservation (from /proc: the API
 * process, every PostgreSQL process, this process), steadier than the rates on a busy machine.
 * BENCH_API_CPU_PROFILE=<dir> writes a CPU profile of the API during the measured HTTP run.
 * Usage: npm run bench:quota [-- seconds=10 [database-url]]
 *   database URL: argument, else BENCH_DATABASE_URL, TEST_DATABASE_URL, DATABASE_URL, else
 *   postgres://postgres@127.0.0.1:5432/test
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { loadAppConfig } from '#platform';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { createApp } from '../apps/api/src/app.factory.js';
import { apiNodeFlags } from './bench-support.js';
import { cpuMark, cpuPer } from './cpu-usage.js';
import {
  FLOOR_FUNCTION,
  FLOOR_SQL,
  hasPgbench,
  pgbenchLoad,
  PIPELINE,
  SQL_CONNECTIONS,
  sqlFigures,
  sqlLoad,
  UNLIMITED,
  withClient,
} from './quota-sql.js';

const ORGS = 100;
const CLIENTS = 50;
const TARGET_PAIRS = 1_000;
const TARGET_SQL = 5_000;
interface Ready {
  port: number;
  orgs: { org: string; key: string }[];
}

/** Child role: the API on PostgreSQL with the bench's orgs, listening on a free port. */
async function serve(): Promise<void> {
  const config = loadAppConfig({ ...process.env });
  const app = await createApp(config);
  const warehouse = app.get<Warehouse>(WAREHOUSE);
  const db = app.get<TenancyDb>(TENANCY_DB);
  const orgs: Ready['orgs'] = [];
  for (let i = 0; i < ORGS; i++) {
    const k = await anOrgWithKey(warehouse, { org: `bench_org_${i}` });
    orgs.push({ org: k.org, key: k.key });
  }
  await db.insert(
    'organizations',
    orgs.map(({ org }) => ({ org_slug: org, company_name: org, ...UNLIMITED })),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ port, orgs } satisfies Ready);
  process.on('message', (m: { profile?: 'start' | 'stop' }) => void profile(m.profile));
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

let session: Session | undefined;

/** In the API process: starts the CPU profiler, or stops it and writes BENCH_API_CPU_PROFILE/api.cpuprofile. */
async function profile(step: 'start' | 'stop' | undefined): Promise<void> {
  const dir = process.env.BENCH_API_CPU_PROFILE;
  if (!dir || !step) return;
  if (step === 'start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  } else if (session) {
    const { profile: data } = await session.post('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'api.cpuprofile'), JSON.stringify(data));
    session.disconnect();
  }
  process.send?.({ profiled: step });
}

async function askApi(child: ChildProcess, step: 'start' | 'stop'): Promise<void> {
  if (!process.env.BENCH_API_CPU_PROFILE) return;
  const done = new Promise<void>((resolve) => {
    const onMessage = (m: { profiled?: string }) => {
      if (m.profiled !== step) return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
  });
  child.send({ profile: step });
  await done;
}

async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], {
    env: { ...process.env, ...env },
    execArgv: [...process.execArgv, ...apiNodeFlags()],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`the API exited (${code}) before it was ready`)));
  });
  return { child, ready };
}

interface HttpRun {
  pairs: number;
  seconds: number;
  refused: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
}

interface ClientContext {
  client?: number;
  seq: number;
  org: string;
  key: string;
  reservationId?: string;
}

/**
 * CLIENTS connections looping validate + complete (autocannon, lighter on the shared CPUs than a
 * fetch pool); connection c works for org c, c + CLIENTS, ... in turn.
 */
async function httpLoad(base: string, orgs: Ready['orgs'], seconds: number, label: string): Promise<HttpRun> {
  let nextClient = 0;
  let pairs = 0;
  let refused = 0;
  const json = { 'content-type': 'application/json' };
  const result = await autocannon({
    url: base,
    connections: CLIENTS,
    duration: seconds,
    initialContext: { seq: 0, org: '', key: '' },
    requests: [
      {
        method: 'POST',
        setupRequest: (req, raw) => {
          const ctx = raw as ClientContext;
          ctx.client ??= nextClient++;
          const { org, key } = orgs[(ctx.client + ctx.seq * CLIENTS) % orgs.length];
          Object.assign(ctx, { org, key, reservationId: undefined });
          return {
            ...req,
            path: `/api/v1/validator/validate/${org}`,
            headers: { ...json, 'x-api-key': key },
            body: JSON.stringify({
              pipeline_id: PIPELINE,
              pipeline_logging_id: `${label}-${ctx.client}-${ctx.seq++}`,
            }),
          };
        },
        onResponse: (status, body, raw) => {
          const verdict =
            status === 200 ? (JSON.parse(body) as { valid: boolean; reservation_id: string }) : null;
          if (verdict && !verdict.valid) refused++;
          (raw as ClientContext).reservationId = verdict?.valid ? verdict.reservation_id : undefined;
        },
      },
      {
        method: 'POST',
        // A falsy request makes autocannon start the sequence again: nothing to complete.
        setupRequest: (req, raw) => {
          const ctx = raw as ClientContext;
          if (!ctx.reservationId) return undefined as unknown as typeof req;
          return {
            ...req,
            path: `/api/v1/validator/complete/${ctx.org}`,
            headers: { ...json, 'x-api-key': ctx.key },
            body: JSON.stringify({ pipeline_status: 'SUCCESS', reservation_id: ctx.reservationId }),
          };
        },
        onResponse: (status) => {
          if (status === 200) pairs++;
        },
      },
    ],
  });
  return {
    pairs,
    seconds,
    refused,
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

async function main(): Promise<void> {
  const [secondsArg, urlArg] = process.argv.slice(2);
  const seconds = Number(secondsArg ?? 10);
  const url =
    urlArg ??
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_quota_${Date.now().toString(36)}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-bench-quota-'));
  let child: ChildProcess | undefined;
  try {
    const api = await startApi({
      NODE_ENV: 'production',
      ENVIRONMENT: 'development',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      DATA_DIR: dataDir,
      TENANCY_DB_DRIVER: 'postgres',
      DATABASE_URL: url,
      TENANCY_DB_SCHEMA: schema,
      // The production limits: validate and complete count against the pipeline limit (per key,
      // 100 keys here), not against the writes limit.
    });
    child = api.child;
    const base = `http://127.0.0.1:${api.ready.port}`;
    await httpLoad(base, api.ready.orgs, 3, 'warmup');
    await askApi(child, 'start');
    const httpStart = cpuMark(child.pid);
    const http = await httpLoad(base, api.ready.orgs, seconds, 'run');
    const httpCpu = cpuPer(httpStart, cpuMark(child.pid), http.pairs);
    await askApi(child, 'stop');
    child.kill('SIGTERM');
    await sleep(1000);
    const sql = await sqlLoad(url, schema, seconds, { prefix: 'bench_sql' });
    // The same calls from a load generator that leaves the CPUs to PostgreSQL, right after.
    const viaPgbench = hasPgbench() ? await pgbenchLoad(url, schema, seconds, 'bench_pgbench') : null;
    // The floor right after, on tables of the same size.
    await withClient(url, (c) => c.query(`SET search_path = "${schema}"; ${FLOOR_FUNCTION}`));
    const floor = await sqlLoad(url, schema, seconds, {
      prefix: 'bench_sql_floor',
      statement: FLOOR_SQL,
    });
    // For comparison only: the same calls when commits do not wait for the WAL flush.
    const sqlAsync = await sqlLoad(url, schema, seconds, {
      prefix: 'bench_sql_async',
      settings: '-c synchronous_commit=off',
    });

    const pairsPerSecond = http.pairs / http.seconds;
    const sqlPerSecond = sql.reservations / seconds;
    console.log(
      JSON.stringify(
        {
          database: url.replace(/\/\/[^@]*@/, '//***@'),
          http: {
            orgs: ORGS,
            clients: CLIENTS,
            seconds,
            pairs: http.pairs,
            refused: http.refused,
            non2xx: http.non2xx,
            errors: http.errors,
            request_latency_ms_p50: http.p50,
            request_latency_ms_p99: http.p99,
            cpu_ms_per_pair: httpCpu,
          },
          sql: sqlFigures(sql, seconds),
          sql_pgbench: viaPgbench && {
            connections: SQL_CONNECTIONS,
            seconds,
            reservations: viaPgbench.calls,
            cpu_ms_per_call: { postgres: viaPgbench.cpu.postgres },
          },
          sql_synchronous_commit_off: sqlFigures(sqlAsync, seconds),
          sql_writes_alone: sqlFigures(floor, seconds),
        },
        null,
        2,
      ),
    );
    console.log(`HTTP validate+complete : ${pairsPerSecond.toFixed(0)} pairs/s (target >= ${TARGET_PAIRS})`);
    const ms = (v: number | null) => (v === null ? 'n/a' : `${v} ms`);
    console.log(
      `  CPU per pair: API ${ms(httpCpu.api)}, PostgreSQL ${ms(httpCpu.postgres)}, autocannon ${ms(httpCpu.load_generator)}`,
    );
    console.log(
      `SQL reserve alone      : ${sqlPerSecond.toFixed(0)} reservations/s (target >= ${TARGET_SQL})`,
    );
    console.log(
      `  CPU per call: PostgreSQL ${ms(sql.cpu.postgres)}, pg client ${ms(sql.cpu.load_generator)}`,
    );
    console.log(
      viaPgbench
        ? `  same calls from pgbench: ${(viaPgbench.calls / seconds).toFixed(0)} reservations/s ` +
            `(target >= ${TARGET_SQL}), PostgreSQL ${ms(viaPgbench.cpu.postgres)} per call`
        : '  pgbench is not installed: the same calls from it are not measured',
    );
    console.log(
      `  same, synchronous_commit=off (comparison only): ${(sqlAsync.reservations / seconds).toFixed(0)} reservations/s`,
    );
    const floorPerSecond = floor.reservations / seconds;
    console.log(
      `  the writes alone, no check (the floor on this machine): ${floorPerSecond.toFixed(0)}/s, ` +
        `PostgreSQL ${ms(floor.cpu.postgres)} per call; reserve runs at ${(sqlPerSecond / floorPerSecond).toFixed(2)} of it`,
    );
    const load = os.loadavg().map((l) => l.toFixed(2));
    console.log(`machine load average at the end: ${load.join(' ')} on ${os.cpus().length} CPUs`);
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await withClient(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
