/**
 * HTTP overhead of the whole stack: requests/s of GET /health on the app (embedded engines,
 * production-like settings) next to a raw Fastify hello-world, measured in the same run.
 * Target: ratio ≥ 0.75. Also the hello-world with the API's response headers, to tell what those
 * bytes cost from what the rest of the stack does.  Usage: npm run bench:http [-- rounds seconds connections]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiNodeFlags, compare, cpuLine, median, startServer } from './bench-support.js';

const [rounds = 3, seconds = 10, connections = 50] = process.argv.slice(2).map(Number);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-bench-'));
const here = path.dirname(new URL(import.meta.url).pathname);

const raw = await startServer(
  path.join(here, 'raw-fastify.js'),
  { PORT: '3102' },
  'http://127.0.0.1:3102/hello',
);
const api = await startServer(
  path.resolve(here, '../apps/api/src/main.js'),
  {
    PORT: '3101',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    NODE_ENV: 'production',
    ENVIRONMENT: 'development',
  },
  'http://127.0.0.1:3101/health/ready',
  apiNodeFlags(),
);
try {
  const runs = await compare(
    [
      { name: 'raw-fastify', url: 'http://127.0.0.1:3102/hello', pid: raw.pid },
      { name: 'raw-fastify-headers', url: 'http://127.0.0.1:3102/hello-headers', pid: raw.pid },
      { name: 'api-health', url: 'http://127.0.0.1:3101/health', pid: api.pid },
    ],
    rounds,
    seconds,
    connections,
  );
  const rawRps = median(runs['raw-fastify'].map((r) => r.rps));
  const headersRps = median(runs['raw-fastify-headers'].map((r) => r.rps));
  const apiRps = median(runs['api-health'].map((r) => r.rps));
  console.log(JSON.stringify({ rounds, seconds, connections, runs }, null, 2));
  const failed = Object.values(runs)
    .flat()
    .reduce((n, r) => n + r.non2xx + r.errors, 0);
  if (failed) console.log(`WARNING: ${failed} non-2xx responses or errors: the figures are not comparable`);
  console.log(`raw Fastify /hello : ${rawRps.toFixed(0)} req/s (median of ${rounds})`);
  console.log(
    `raw + API headers  : ${headersRps.toFixed(0)} req/s, ratio ${(headersRps / rawRps).toFixed(3)} (the response headers alone)`,
  );
  console.log(`API /health        : ${apiRps.toFixed(0)} req/s (median of ${rounds})`);
  console.log(`ratio              : ${(apiRps / rawRps).toFixed(3)} (target >= 0.75)`);
  for (const [name, list] of Object.entries(runs)) console.log(cpuLine(name, list));
} finally {
  raw.kill('SIGTERM');
  api.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  fs.rmSync(dataDir, { recursive: true, force: true });
}
