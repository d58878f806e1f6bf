import { startPostgrestServer } from '#test/postgrest-server';
import { applyMigrations, PgTenancyDb, SupabaseTenancyDb } from '#tenancy-db';
import { dropTestSchema } from '#test/test-app';
import { TenancyOrgRepository } from './tenancy-org.repository.js';

const url = process.env.TEST_DATABASE_URL;

describe.skipIf(!url)('TenancyOrgRepository.activeMembers past PostgREST max-rows', () => {
  it('lists every active member once when many joined at the same instant (a bulk invite)', async () => {
    const connectionString = url as string;
    const schema = `members_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const sql = await PgTenancyDb.open({ connectionString, schema });
    const server = await startPostgrestServer({ connectionString, schema, maxRows: 50 });
    const db = await SupabaseTenancyDb.open({ url: server.url, serviceRoleKey: server.serviceKey, schema });
    try {
      await applyMigrations(sql);
      const [org] = await sql.insert<{ id: string }>('organizations', [
        { org_slug: 'bulk_members', company_name: 'Bulk' },
      ]);
      const users = await sql.insert<{ id: string }>(
        'profiles',
        Array.from({ length: 400 }, (_, i) => ({ email: `user${i}@example.com` })),
      );
      // Two bulk invites: each one's members share their joined_at, interleaved in the table.
      await sql.insert(
        'organization_members',
        users.map((u, i) => ({
          org_id: org.id,
          user_id: u.id,
          role: 'collaborator',
          status: 'active',
          joined_at: (i * 7919) % 3 === 0 ? '2026-01-01T00:00:00Z' : '2026-02-01T00:00:00Z',
        })),
      );
      const members = await new TenancyOrgRepository(db).activeMembers(org.id, undefined);
      const ids = members.map((m) => m.user_id);
      expect(new Set(ids).size).toBe(users.length);
      expect(ids).toHaveLength(users.length);
    } finally {
      await db.close();
      await server.close();
      await sql.close();
      await dropTestSchema({ DATABASE_URL: connectionString, TENANCY_DB_SCHEMA: schema });
    }
  });
});
