import { type DynamicModule, Global, Module } from '@nestjs/common';
import { COST_CACHE_OPTIONS, type CostCacheOptions } from '#analytics';
import { aFocusRow, generateFocusRows, writeFocusRows } from '#test/focus-rows';
import { anOrgWithKey, type OrgKeyOptions } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';
import { type Row, WAREHOUSE, type Warehouse } from '#warehouse';

/** The cost cache's clock, set by the test. */
export class FakeClock {
  constructor(public ms: number) {}
  readonly now = () => this.ms;
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

/** Mounted on a test app: the cost cache's options (a fake clock, small bounds). */
@Global()
@Module({})
export class CostCacheOptionsModule {
  static with(options: CostCacheOptions): DynamicModule {
    return {
      module: CostCacheOptionsModule,
      providers: [{ provide: COST_CACHE_OPTIONS, useValue: options }],
      exports: [COST_CACHE_OPTIONS],
    };
  }
}

/** A new org with a key and the FOCUS rows `rowsOf` makes for it. */
export async function orgWithRows(
  t: TestApp,
  rowsOf: (org: string) => Row[],
  keyOptions: OrgKeyOptions = {},
) {
  const warehouse = t.app.get<Warehouse>(WAREHOUSE);
  const { org, key, keyId } = await anOrgWithKey(warehouse, keyOptions);
  await writeFocusRows(warehouse, t.config.orgDataset(org), rowsOf(org));
  return { org, key, keyId, headers: { 'x-api-key': key } };
}

/** A new org with a key and `rows` FOCUS rows from 2024-01-01 to 2025-03-10. */
export const seededOrg = (t: TestApp, rows = 300, keyOptions: OrgKeyOptions = {}) =>
  orgWithRows(
    t,
    (org) => generateFocusRows({ org, rows, seed: 7, start: '2024-01-01', end: '2025-03-10' }),
    keyOptions,
  );

/**
 * Two instances sharing Redis (rate limits, invalidations) and, since each has its own embedded
 * warehouse, one org on both: seeded on `a`, with a key and a row of its own on `b`. Runs `body`,
 * then closes both.
 */
export async function onTwoInstances(
  redisUrl: string,
  body: (s: {
    a: TestApp;
    b: TestApp;
    org: string;
    headers: { 'x-api-key': string };
    headersOnB: { 'x-api-key': string };
  }) => Promise<void>,
  envOfB: Record<string, string> = {},
): Promise<void> {
  const env = { RATE_LIMIT_READS_PER_MINUTE: '100000', REDIS_URL: redisUrl };
  const a = await startTestApp(env);
  const b = await startTestApp({ ...env, ...envOfB });
  try {
    const { org, headers } = await seededOrg(a);
    const warehouseB = b.app.get<Warehouse>(WAREHOUSE);
    const onB = await anOrgWithKey(warehouseB, { org });
    await writeFocusRows(warehouseB, b.config.orgDataset(org), [aFocusRow({ org, date: '2025-01-01' })]);
    await body({ a, b, org, headers, headersOnB: { 'x-api-key': onB.key } });
  } finally {
    await a.close();
    await b.close();
  }
}

/** Waits (up to 5 s) until `done` holds: an invalidation published on one instance reaching another. */
export async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The cost read routes under /api/v1/costs/:org that take a period and the filters. */
export const READ_ROUTES = [
  '',
  '/summary',
  '/by-provider',
  '/by-service',
  '/trend',
  '/subscriptions',
  '/cloud',
  '/genai',
  '/total',
];
