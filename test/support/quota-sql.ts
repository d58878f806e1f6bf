import { startPostgrestServer } from './postgrest-server.js';
import { type QuotaDb, quotaEngines, supabaseEngine } from './quota-db.js';

/** The machine's PostgreSQL, when set: the quota SQL specs then run on it and behind PostgREST too. */
export const url = process.env.TEST_DATABASE_URL;
export const engines = quotaEngines(url ? [supabaseEngine(url, startPostgrestServer)] : []);
export const at = (iso: string) => new Date(iso);
export const T0 = '2024-03-15T10:00:00Z';

/**
 * The org and reservation helpers of the quota SQL specs, on the engine `getDb` answers (read on
 * every call, as a suite opens its engine in `beforeAll`, after its tests are collected).
 */
export function quotaSqlHelpers(getDb: () => QuotaDb) {
  let n = 0;
  return {
    /** A fresh org per test: tests never see each other's usage. */
    anOrg: async (extra: Record<string, string | number | null> = {}) => {
      const slug = `org_${++n}_${Math.random().toString(36).slice(2, 8)}`;
      await getDb().org(slug, extra);
      return slug;
    },
    reserve: (org: string, run: string, now: string, ttl = 1800, pipeline = 'p1') =>
      getDb().repo.reserve(org, run, pipeline, ttl, at(now)),
  };
}
