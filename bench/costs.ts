/**
 * Cost reads over a 1M-row org-year on the embedded engines:
 *   cold  /summary: warehouse → frame → aggregate, the first read of the year (target ≤ 1.0 s);
 *   warm  a new aggregation (/by-provider, /by-service) on the cached frame (target ≤ 100 ms);
 *   rate  requests/s of a cached /summary next to a raw Fastify hello-world, in the same run
 *         (target ≥ 60 % of raw); a repeated URL is answered by the kept response (CostResponseCache).
 *         Also raw Fastify answering the same response (headers and body): the payload's own cost.
 * Prints figures and targets; asserts nothing.
 *
 * Usage: npm run bench:costs [-- --rows 1000000 --rounds 3 --seconds 10 --connections 50]
 * BENCH_DATA_DIR=<dir> keeps (and on later runs reuses) the seeded data instead of a temp dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAppConfig } from '#platform';
import { createApp } from '../apps/api/src/app.factory.js';
import { DEMO_ORG, DemoService } from '../apps/api/src/demo/demo.service.js';
import { apiNodeFlags, compare, cpuLine, median, residentDuring, startServer } from './bench-support.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
  },
});
const rows = Number(values.rows);
const [rounds, seconds, connections] = [values.rounds, values.seconds, values.connections].map(Number);
const keep = process.env.BENCH_DATA_DIR;
const dataDir = keep ? path.resolve(keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'finops-bench-costs-'));
const here = path.dirname(new URL(import.meta.url).pathname);
const [API_PORT, RAW_PORT] = [3201, 3202];
const api = `http://127.0.0.1:${API_PORT}`;

/** Seeds the demo org in this process (the server is started afterwards on the same files). */
async function seed(): Promise<{ key: string; start: string; end: string; seconds: number }> {
  const marker = path.join(dataDir, 'bench-costs.json');
  if (fs.existsSync(marker)) {
    const saved = JSON.parse(fs.readFileSync(marker, 'utf8')) as {
      rows: number;
      key: string;
      start: string;
      end: string;
    };
    if (saved.rows === rows) return { ...saved, seconds: 0 };
  }
  const started = performance.now();
  const app = await createApp(loadAppConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }));
  try {
    const result = await app.get(DemoService).ensureDemo({ rows });
    fs.writeFileSync(
      marker,
      JSON.stringify({ rows, key: result.apiKey, start: result.start, end: result.end }),
    );
    return {
      key: result.apiKey,
      start: result.start,
      end: result.end,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await app.close();
  }
}

async function timed(url: string, init: RequestInit): Promise<{ ms: number; body: Record<string, unknown> }> {
  const t0 = performance.now();
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body)}`);
  return { ms, body };
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
/** Headers of a connection, not of a response: the raw server sets its own. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'date', 'content-length', 'transfer-encoding']);
const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');

console.log(`Seeding ${rows.toLocaleString('en-US')} FOCUS rows for ${DEMO_ORG} in ${dataDir} ...`);
const seeded = await seed();
console.log(seeded.seconds ? `seeded in ${seeded.seconds.toFixed(1)} s` : 'reusing the seeded data');

const raw = await startServer(
  path.join(here, 'raw-fastify.js'),
  { PORT: String(RAW_PORT) },
  `http://127.0.0.1:${RAW_PORT}/hello`,
);
const server = await startServer(
  path.resolve(here, '../apps/api/src/main.js'),
  {
    PORT: String(API_PORT),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    NODE_ENV: 'production',
    ENVIRONMENT: 'development',
    // The benchmark measures the read path, not the rate limiter refusing it.
    RATE_LIMIT_READS_PER_MINUTE: '1000000000',
  },
  `${api}/health/ready`,
  apiNodeFlags(),
);
try {
  const headers = { 'X-API-Key': seeded.key };
  const range = `start_date=${seeded.start}&end_date=${seeded.end}`;
  const costs = `${api}/api/v1/costs/${DEMO_ORG}`;
  // Auth lookups, connection set-up and JIT of the route, on a read that touches no cost frame.
  for (let i = 0; i < 5; i++) await timed(`${costs}/cache/stats`, { headers });

  const cold = await timed(`${costs}/summary?${range}`, { headers });
  // New aggregations of the same period: the frame the summary loaded serves them.
  const warm = [];
  for (const route of ['by-provider', 'by-service'])
    warm.push({ route, ...(await timed(`${costs}/${route}?${range}`, { headers })) });
  // Row listings of the year, the first page then pages deep in it: past COST_LISTING_FRAME_MAX_ROWS
  // (250,000 by default) paged by the warehouse, through the grouped frame the summary loaded.
  const listings = [];
  const deep = [Math.floor(rows / 2), Math.max(rows - 10_000, 0)];
  for (const page of [
    'limit=50',
    'limit=50&offset=50',
    `limit=50&offset=${deep[0]}`,
    `limit=10000&offset=${deep[1]}`,
  ])
    listings.push({ page, ...(await timed(`${costs}?${range}&${page}`, { headers })) });
  // A dashboard burst: listings of 40 distinct 90-day periods at once, each (on the 1M-row year,
  // ~247,000 rows, under COST_LISTING_FRAME_MAX_ROWS) a frame of FOCUS rows (~250 bytes a row)
  // loaded in a load slot (COST_FRAME_LOADS_MAX) and evicted from the frame cache by the next;
  // the memory they leave is collected (NATIVE_MEMORY_GC_MB).
  const burstPeriods = Array.from({ length: 40 }, (_, i) => {
    const from = Date.parse(`${seeded.start}T00:00:00Z`) + i * 5 * DAY_MS;
    const to = Math.min(from + 89 * DAY_MS, Date.parse(`${seeded.end}T00:00:00Z`));
    return `start_date=${isoDay(from)}&end_date=${isoDay(to)}`;
  });
  const burst = await residentDuring(server.pid, async () => {
    const started = performance.now();
    await Promise.all(burstPeriods.map((p) => timed(`${costs}?${p}&limit=50`, { headers })));
    return performance.now() - started;
  });
  await timed(`${costs}/cache/invalidate`, { method: 'POST', headers });
  const coldAgain = await timed(`${costs}/summary?${range}`, { headers });
  const cached = await timed(`${costs}/summary?${range}`, { headers });
  // The like-for-like baseline: raw Fastify answering the very bytes of a cached /summary.
  const kept = await fetch(`${costs}/summary?${range}`, { headers });
  const keptHeaders = [...kept.headers].filter(([name]) => !HOP_HEADERS.has(name));
  const given = await fetch(`http://127.0.0.1:${RAW_PORT}/same`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ headers: keptHeaders, body: await kept.text() }),
  });
  if (!given.ok) throw new Error(`the raw server refused the response to repeat: ${given.status}`);

  const runs = await compare(
    [
      { name: 'raw-fastify', url: `http://127.0.0.1:${RAW_PORT}/hello`, pid: raw.pid },
      { name: 'raw-fastify-same-response', url: `http://127.0.0.1:${RAW_PORT}/same`, headers, pid: raw.pid },
      { name: 'cached-summary', url: `${costs}/summary?${range}`, headers, pid: server.pid },
    ],
    rounds,
    seconds,
    connections,
  );
  // Which path answered the cached reads: the kept responses (see CostResponseCache) or Nest's.
  const stats = (await timed(`${costs}/cache/stats`, { headers })).body as {
    responses: { hits: number };
  };
  const rawRps = median(runs['raw-fastify']!.map((r) => r.rps))!;
  const sameRps = median(runs['raw-fastify-same-response']!.map((r) => r.rps))!;
  const apiRps = median(runs['cached-summary']!.map((r) => r.rps))!;
  const failed = Object.values(runs)
    .flat()
    .reduce((n, r) => n + r.non2xx + r.errors, 0);

  console.log(JSON.stringify({ rows, rounds, seconds, connections, runs }, null, 2));
  if (failed) console.log(`WARNING: ${failed} non-2xx responses or errors: the rates are not comparable`);
  console.log(
    `\nrows in the org-year           : ${(cold.body.summary as { record_count?: number })?.record_count ?? '?'}`,
  );
  console.log(
    `cold /summary (first read)     : ${fmt(cold.ms)} (server ${String(cold.body.query_time_ms)} ms) — target <= 1000 ms: ${verdict(cold.ms <= 1000)}`,
  );
  console.log(
    `cold /summary (after invalidate): ${fmt(coldAgain.ms)} (server ${String(coldAgain.body.query_time_ms)} ms)`,
  );
  for (const w of warm)
    console.log(
      `warm /${w.route.padEnd(25)}: ${fmt(w.ms)} (server ${String(w.body.query_time_ms)} ms, ` +
        `cache_hit ${String(w.body.cache_hit)}) — target <= 100 ms: ${verdict(w.ms <= 100)}`,
    );
  for (const l of listings)
    console.log(
      `listing ${l.page.padEnd(23)}: ${fmt(l.ms)} (server ${String(l.body.query_time_ms)} ms; not a target)`,
    );
  console.log(
    `40 listings of 90 days at once : ${fmt(burst.value)}; server resident ${String(burst.before)} MiB ` +
      `before, ${String(burst.peak)} MiB at the peak, ${String(burst.after)} MiB 3 s after (not a target)`,
  );
  console.log(
    `cached /summary, one request   : ${fmt(cached.ms)} (cache_hit ${String(cached.body.cache_hit)})`,
  );
  console.log(`kept responses served          : ${stats.responses.hits} (the rest took Nest's path)`);
  console.log(`raw Fastify /hello             : ${rawRps.toFixed(0)} req/s (median of ${rounds})`);
  console.log(
    `raw Fastify, the same response : ${sameRps.toFixed(0)} req/s, ratio ${(sameRps / rawRps).toFixed(3)} ` +
      '(its bytes alone: what no server stack can beat)',
  );
  console.log(`cached /summary                : ${apiRps.toFixed(0)} req/s (median of ${rounds})`);
  console.log(
    `ratio                          : ${(apiRps / rawRps).toFixed(3)} — target >= 0.60: ${verdict(apiRps / rawRps >= 0.6)}`,
  );
  for (const [name, list] of Object.entries(runs)) console.log(cpuLine(name, list));
} finally {
  raw.kill('SIGTERM');
  server.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  if (!keep) fs.rmSync(dataDir, { recursive: true, force: true });
}
