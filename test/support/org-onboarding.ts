import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { dropTestSchema, postgresTenancyEnv, rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/** Rate limits far above what a suite sends, so the organization scenarios never meet a 429. */
export const NO_LIMITS = {
  RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
  RATE_LIMIT_WRITES_PER_MINUTE: '100000',
  RATE_LIMIT_READS_PER_MINUTE: '100000',
};

/** The object form of `app.inject()`, so helpers can take a method and headers typed as Fastify wants them. */
export type Inject = Exclude<Parameters<TestApp['app']['inject']>[0], string>;
export type InjectMethod = Inject['method'];

/** The status and the stable problem code together, so a failure shows both. */
export const expectProblem = (res: LightMyRequestResponse, status: number, code: string) =>
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });

/** A 422 that names exactly these fields (sorted), so a failure shows which ones the API flagged. */
export const expectInvalidFields = (res: LightMyRequestResponse, fields: string[]) => {
  expectProblem(res, 422, 'VALIDATION_FAILED');
  expect(
    res
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort(),
  ).toEqual(fields);
};

/**
 * Requests and row look-ups the organization suites share. `getApp` is read on every call because
 * suites build the harness while collecting tests, before `beforeAll` has started the app; for the
 * same reason `warehouse`, `db` and `registry` are getters, to be read inside tests, not destructured.
 */
export function orgHarness(getApp: () => TestApp) {
  const inject = (opts: Inject) => getApp().app.inject(opts);
  const root = (method: InjectMethod, url: string, payload?: object, headers: Record<string, string> = {}) =>
    inject({ method, url, headers: { ...rootHeaders, ...headers }, ...(payload ? { payload } : {}) });
  const withKey = (key: string, method: InjectMethod, url: string, payload?: object) =>
    inject({ method, url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
  const companyOf = (org: string) => `Company ${org.replace(/_/g, ' ')}`;
  const emailOf = (org: string) => `admin+${org}@example.com`;
  const onboardBody = (org: string, extra: Record<string, unknown> = {}) => ({
    org_slug: org,
    company_name: companyOf(org),
    admin_email: emailOf(org),
    ...extra,
  });

  const h = {
    /** The app itself, for a test that needs one of its providers. */
    get app() {
      return getApp().app;
    },
    get warehouse() {
      return getApp().app.get<Warehouse>(WAREHOUSE);
    },
    get db() {
      return getApp().app.get<TenancyDb>(TENANCY_DB);
    },
    get registry() {
      return getApp().app.get(SchemaRegistry);
    },
    inject,
    root,
    withKey,
    companyOf,
    emailOf,
    onboardBody,
    /** Onboards a fresh org (or `org`) through the API and fails the test unless it answers 200. */
    onboard: async (extra: Record<string, unknown> = {}, org = anOrgSlug('onb')) => {
      const res = await root('POST', '/api/v1/organizations/onboard', onboardBody(org, extra));
      expect(res.statusCode, res.body).toBe(200);
      return { org, key: res.json().api_key as string, body: res.json() };
    },
    tenancyRow: async (org: string) => (await h.db.select('organizations', { org_slug: org }))[0],
    profileRow: async (org: string) =>
      (
        await h.warehouse.query(`SELECT * FROM \`${CENTRAL_DATASET}.org_profiles\` WHERE org_slug = @org`, {
          org,
        })
      )[0],
    countRows: async (table: string, org: string) =>
      Number(
        (
          await h.warehouse.query<{ n: number }>(
            `SELECT COUNT(*) AS n FROM \`${CENTRAL_DATASET}.${table}\` WHERE org_slug = @org`,
            { org },
          )
        )[0].n,
      ),
    /** The org's row count in every central table, zeros included. */
    centralCounts: async (org: string) => {
      const counts: Record<string, number> = {};
      for (const table of h.registry.centralTables()) counts[table.name] = await h.countRows(table.name, org);
      return counts;
    },
    /** Only the central tables that hold rows of the org, so "nothing left" reads as `{}`. */
    centralRowsOf: async (org: string) =>
      Object.fromEntries(Object.entries(await h.centralCounts(org)).filter(([, n]) => n > 0)),
  };
  return h;
}

export type OrgHarness = ReturnType<typeof orgHarness>;

/**
 * Declares `${title} on <engine>` once per tenancy-DB engine, each with an app of its own: the embedded
 * PGlite always, the machine's PostgreSQL (in a throw-away schema) when TEST_DATABASE_URL is set.
 * The PostgreSQL env is made in `beforeAll`, as `postgresTenancyEnv` throws without the URL and the
 * skipped describe still collects its body.
 */
export function describeOnEngines(title: string, body: (h: OrgHarness) => void): void {
  const onEngine = (engine: string, engineEnv: () => Record<string, string>) =>
    describe(`${title} on ${engine}`, () => {
      let t: TestApp;
      let env: Record<string, string>;

      beforeAll(async () => {
        env = engineEnv();
        t = await startTestApp({ ...NO_LIMITS, ...env });
      });
      afterAll(async () => {
        await t?.close();
        if (env?.TENANCY_DB_SCHEMA) await dropTestSchema(env);
      });

      body(orgHarness(() => t));
    });

  onEngine('PGlite', () => ({}));
  describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
    onEngine('PostgreSQL', postgresTenancyEnv);
  });
}

/**
 * Onboards a fresh org (slug from `prefix`) through the API with the root key, failing the test
 * unless it answers 200; returns the org and its new API key.
 */
export async function onboardOrg(
  t: TestApp,
  prefix: string,
  companyName: string,
): Promise<{ org: string; key: string }> {
  const org = anOrgSlug(prefix);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/organizations/onboard',
    headers: rootHeaders,
    payload: { org_slug: org, company_name: companyName, admin_email: `admin@${prefix}.example` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { org, key: res.json<{ api_key: string }>().api_key };
}
