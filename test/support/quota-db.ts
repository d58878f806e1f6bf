import { randomBytes } from 'node:crypto';
import { type DbRow, PgliteTenancyDb, PgTenancyDb, SupabaseTenancyDb, type TenancyDb } from '#tenancy-db';
import { QuotaRepository } from '../../apps/api/src/quota/quota.repository.js';

/**
 * A migrated tenancy DB of its own for the quota's SQL specs: PGlite in memory, a fresh schema on
 * the machine's PostgreSQL (TEST_DATABASE_URL), or that schema behind a local PostgREST.
 */
export interface QuotaDb {
  name: string;
  db: TenancyDb;
  repo: QuotaRepository;
  /** Adds an organizations row; limits left out take the plan's defaults. */
  org(slug: string, extra?: DbRow): Promise<void>;
  close(): Promise<void>;
}

export interface QuotaDbEngine {
  name: string;
  open(): Promise<QuotaDb>;
}

function wrap(name: string, db: TenancyDb, close: () => Promise<void>): QuotaDb {
  return {
    name,
    db,
    repo: new QuotaRepository(db),
    org: async (slug, extra = {}) => {
      await db.insert('organizations', [{ org_slug: slug, company_name: `Company ${slug}`, ...extra }]);
    },
    close,
  };
}

const schemaName = () => `quota_${randomBytes(6).toString('hex')}`;

async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const admin = await PgTenancyDb.open({ connectionString, max: 1 });
  try {
    await admin.transaction((s) => s.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  } finally {
    await admin.close();
  }
}

export const pgliteEngine: QuotaDbEngine = {
  name: 'PGlite',
  async open() {
    const db = await PgliteTenancyDb.open();
    await db.migrate();
    return wrap('PGlite', db, () => db.close());
  },
};

export function postgresEngine(connectionString: string, max = 20): QuotaDbEngine {
  return {
    name: 'PostgreSQL',
    async open() {
      const schema = schemaName();
      const db = await PgTenancyDb.open({ connectionString, schema, max });
      await db.migrate();
      return wrap('PostgreSQL', db, async () => {
        await db.close();
        await dropSchema(connectionString, schema);
      });
    },
  };
}

/** The same functions called as Supabase calls them: supabase-js rpc → local PostgREST → PostgreSQL. */
export function supabaseEngine(
  connectionString: string,
  startPostgrest: (o: {
    connectionString: string;
    schema: string;
  }) => Promise<{ url: string; serviceKey: string; close(): Promise<void> }>,
): QuotaDbEngine {
  return {
    name: 'Supabase (PostgREST)',
    async open() {
      const schema = schemaName();
      const sql = await PgTenancyDb.open({ connectionString, schema, max: 2 });
      await sql.migrate();
      const server = await startPostgrest({ connectionString, schema });
      const db = await SupabaseTenancyDb.open({ url: server.url, serviceRoleKey: server.serviceKey, schema });
      return wrap('Supabase (PostgREST)', db, async () => {
        await db.close();
        await server.close();
        await sql.close();
        await dropSchema(connectionString, schema);
      });
    },
  };
}

/** PGlite always; PostgreSQL (and optionally PostgREST) when TEST_DATABASE_URL is set. */
export function quotaEngines(extra: QuotaDbEngine[] = []): QuotaDbEngine[] {
  const url = process.env.TEST_DATABASE_URL;
  return url ? [pgliteEngine, postgresEngine(url), ...extra] : [pgliteEngine];
}
