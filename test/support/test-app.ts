import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { API_KEY_LOOKUP, type ApiKeyLookup, type AppConfig, loadAppConfig } from '#platform';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { createApp, type CreateAppOptions } from '../../apps/api/src/app.factory.js';

export const TEST_ROOT_KEY = 'test_root_key_0123456789abcdefghijklmnopqrstuvwxyz';
export const rootHeaders = { 'x-ca-root-key': TEST_ROOT_KEY };

/** The named limits out of a suite's way (admin, writes and reads), for suites not about them. */
export const NO_RATE_LIMITS = {
  RATE_LIMIT_ADMIN_PER_MINUTE: '10000',
  RATE_LIMIT_WRITES_PER_MINUTE: '10000',
  RATE_LIMIT_READS_PER_MINUTE: '10000',
};

/** The hex SHA-256 of a text: how an API key is stored and named (its hash). */
export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The real app on the embedded engines (DuckDB and PGlite in memory), bootstrapped, not listening:
 * tests call `app.inject()`. Each call gets its own engines, so suites never share state.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: CreateAppOptions = {},
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(process.env.TEST_TMP_DIR ?? os.tmpdir(), 'finops-test-'));
  const config = loadAppConfig({
    ENVIRONMENT: 'development',
    CA_ROOT_API_KEY: TEST_ROOT_KEY,
    DATA_DIR: dataDir,
    DUCKDB_PATH: ':memory:',
    PGLITE_DIR: ':memory:',
    LOG_LEVEL: 'silent',
    PIPELINE_SERVICE_URL: 'http://127.0.0.1:9',
    // Test files run side by side on the machine's Redis: each worker's apps have keys and channels
    // of their own (the apps of one test still share them, as replicas do).
    REDIS_KEY_PREFIX: `finops:test-${process.pid}`,
    // The apps of a test file share its process: one's growth would make every app's collector
    // pause the file's tests for a full collection (health.e2e-spec turns it on).
    NATIVE_MEMORY_GC_MB: '0',
    ...env,
  });
  // Not the app's default (buffered) stdout destination: a test's lines come as it logs them, among
  // the runner's own output, and an app that a failing test leaves open keeps no flush timer.
  const logDestination = options.logDestination ?? pino.destination({ dest: 1, sync: true });
  const app = await createApp(config, { ...options, logDestination });
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    dataDir,
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Makes `app` listen on an ephemeral loopback port (for what app.inject does not show: sockets,
 * pipelining, timeouts, the server's drain) and returns the port.
 */
export async function listenOnLoopback(app: NestFastifyApplication): Promise<number> {
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** Counts the org-key lookups `t` makes from now on (each one a warehouse query). */
export function countLookups(t: TestApp): () => number {
  const lookup = t.app.get<ApiKeyLookup>(API_KEY_LOOKUP);
  let lookups = 0;
  const find = lookup.findActiveByHash.bind(lookup);
  lookup.findActiveByHash = (hash) => {
    lookups++;
    return find(hash);
  };
  return () => lookups;
}

/**
 * Env for running the app on the machine's PostgreSQL (TEST_DATABASE_URL) in a schema of its own,
 * so suites can run the same scenarios with TENANCY_DB_DRIVER=postgres. Drop it with `dropTestSchema`.
 */
export function postgresTenancyEnv(): Record<string, string> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  return { TENANCY_DB_DRIVER: 'postgres', DATABASE_URL: url, TENANCY_DB_SCHEMA: schema };
}

export async function dropTestSchema(env: Record<string, string>): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${env.TENANCY_DB_SCHEMA}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface Replicas {
  apps: TestApp[];
  /** Copies the org's profile and key rows from the first instance's warehouse into the second's. */
  shareOrg(org: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Two instances of the app on one fresh PostgreSQL schema (TEST_DATABASE_URL), as two replicas
 * behind a load balancer. Each has its own warehouse (DuckDB in memory): an org created through the
 * first exists in the second once `shareOrg` has copied its profile and keys.
 */
export async function startReplicas(env: Record<string, string> = {}): Promise<Replicas> {
  const shared = { ...env, ...postgresTenancyEnv() };
  const apps = [await startTestApp(shared), await startTestApp(shared)];
  const [first, second] = apps.map((t) => t.app.get<Warehouse>(WAREHOUSE));
  return {
    apps,
    async shareOrg(org) {
      for (const table of ['org_profiles', 'org_api_keys']) {
        const rows = await first.query(
          `SELECT * FROM \`${CENTRAL_DATASET}.${table}\` WHERE org_slug = @org`,
          {
            org,
          },
        );
        await second.insertRows({ dataset: CENTRAL_DATASET, table }, rows);
      }
    },
    async close() {
      for (const t of apps) await t.close();
      await dropTestSchema(shared);
    },
  };
}
