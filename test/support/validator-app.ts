import { type DbRow, TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from './org-factory.js';
import { NO_LIMITS } from './org-onboarding.js';
import { dropTestSchema, rootHeaders, startTestApp, type TestApp } from './test-app.js';

/** The app on one tenancy engine, as the validator suites drive it (no rate limits in the way). */
export interface ValidatorApp {
  t: TestApp;
  warehouse: Warehouse;
  db: TenancyDb;
  /** An org with a key and a tenancy-DB row; limits left out take the plan defaults. */
  anOrg(row?: DbRow, scopes?: string[]): Promise<{ org: string; key: string; keyId: string }>;
  validate(
    org: string,
    key: string,
    payload: object,
    headers?: Record<string, string>,
  ): ReturnType<TestApp['app']['inject']>;
  /** Completes the org's run named by `query` (and `payload`), as the pipeline service calls it. */
  complete(org: string, key: string, query: string, payload?: object): ReturnType<TestApp['app']['inject']>;
  /** The org's quota read, with the root key. */
  usage(org: string): Promise<Record<string, unknown>>;
  /** Closes the app, then drops the engine's test schema when it has one. */
  close(): Promise<void>;
}

export async function startValidatorApp(env: Record<string, string>): Promise<ValidatorApp> {
  const t = await startTestApp({ ...NO_LIMITS, ...env });
  const warehouse = t.app.get<Warehouse>(WAREHOUSE);
  const db = t.app.get<TenancyDb>(TENANCY_DB);
  return {
    t,
    warehouse,
    db,
    async anOrg(row = {}, scopes) {
      const k = await anOrgWithKey(warehouse, scopes ? { scopes } : {});
      await db.insert('organizations', [{ org_slug: k.org, company_name: 'Acme', ...row }]);
      return k;
    },
    validate: (org, key, payload, headers = {}) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/validate/${org}`,
        headers: { 'x-api-key': key, ...headers },
        payload,
      }),
    complete: (org, key, query, payload) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/complete/${org}${query}`,
        headers: { 'x-api-key': key },
        ...(payload ? { payload } : {}),
      }),
    usage: async (org) =>
      (
        await t.app.inject({ method: 'GET', url: `/api/v1/organizations/${org}/quota`, headers: rootHeaders })
      ).json(),
    async close() {
      await t.close();
      if (env.TENANCY_DB_SCHEMA) await dropTestSchema(env);
    },
  };
}
