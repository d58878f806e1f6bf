import { randomBytes, randomUUID } from 'node:crypto';
import { PgliteTenancyDb, PgTenancyDb, SupabaseTenancyDb, type TenancyDb } from '#tenancy-db';
import { startPostgrestServer } from '#test/postgrest-server';
import { type ClaimRequest, IdempotencyRepository } from './idempotency.repository.js';

const url = process.env.TEST_DATABASE_URL;
const HOUR_MS = 3_600_000;

interface Harness {
  db: TenancyDb;
  close(): Promise<void>;
}

async function openPglite(): Promise<Harness> {
  const db = await PgliteTenancyDb.open({ schema: 'idem' });
  await db.migrate();
  return { db, close: () => db.close() };
}

async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const admin = await PgTenancyDb.open({ connectionString, max: 1 });
  try {
    await admin.transaction((s) => s.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  } finally {
    await admin.close();
  }
}

/** A schema of its own per run, dropped afterwards, so runs never see each other's keys. */
async function openPostgres(connectionString: string): Promise<Harness> {
  const schema = `idem_${randomBytes(6).toString('hex')}`;
  const db = await PgTenancyDb.open({ connectionString, schema, max: 20 });
  await db.migrate();
  return {
    db,
    close: async () => {
      await db.close();
      await dropSchema(connectionString, schema);
    },
  };
}

/** The same functions called as Supabase calls them: supabase-js rpc → (local) PostgREST → PostgreSQL. */
async function openSupabase(connectionString: string): Promise<Harness> {
  const schema = `idem_${randomBytes(6).toString('hex')}`;
  const sql = await PgTenancyDb.open({ connectionString, schema, max: 2 });
  await sql.migrate();
  const server = await startPostgrestServer({ connectionString, schema });
  const db = await SupabaseTenancyDb.open({ url: server.url, serviceRoleKey: server.serviceKey, schema });
  return {
    db,
    close: async () => {
      await db.close();
      await server.close();
      await sql.close();
      await dropSchema(connectionString, schema);
    },
  };
}

function describeIdempotencySql(name: string, open: () => Promise<Harness>): void {
  describe(`idempotency SQL functions on ${name}`, () => {
    let h: Harness;
    let repo: IdempotencyRepository;
    let n = 0;
    const aClaim = (extra: Partial<ClaimRequest> = {}): ClaimRequest => ({
      scope: 'org:acme_corp',
      key: `key-${++n}`,
      requestHash: `hash-${n}`,
      token: randomUUID(),
      orgSlug: 'acme_corp',
      ttlSeconds: 86_400,
      lockSeconds: 300,
      ...extra,
    });
    const row = async (c: ClaimRequest) => {
      const [r] = await h.db.select('idempotency_keys', { scope: c.scope, idempotency_key: c.key });
      return r;
    };
    const shift = (c: ClaimRequest, column: 'expires_at' | 'locked_until', ms: number) =>
      h.db.update(
        'idempotency_keys',
        { scope: c.scope, idempotency_key: c.key },
        { [column]: new Date(Date.now() + ms) },
      );

    beforeAll(async () => {
      h = await open();
      repo = new IdempotencyRepository(h.db);
    });
    afterAll(async () => {
      await h?.close();
    });

    it('claims a new key in flight, locked for 5 minutes and kept for 24 hours, with its org and token', async () => {
      const c = aClaim();
      const before = Date.now();
      expect(
        await h.db.rpc('claim_idempotency_request', {
          p_scope: c.scope,
          p_key: c.key,
          p_org_slug: c.orgSlug,
          p_request_hash: c.requestHash,
          p_claim_token: c.token,
        }),
      ).toEqual([{ outcome: 'claimed', response_status: null, response_body: null }]);
      const r = await row(c);
      expect(r).toMatchObject({
        state: 'in_flight',
        org_slug: 'acme_corp',
        request_hash: c.requestHash,
        claim_token: c.token,
        response_status: null,
      });
      const lockMs = new Date(r.locked_until as string).getTime() - before;
      const ttlMs = new Date(r.expires_at as string).getTime() - before;
      expect(lockMs).toBeGreaterThan(299_000);
      expect(lockMs).toBeLessThan(301_000 + 5_000);
      expect(ttlMs).toBeGreaterThan(24 * HOUR_MS - 1_000);
      expect(ttlMs).toBeLessThan(24 * HOUR_MS + 5_000);
    });

    it('answers in_flight to the same request while the first claim holds the key', async () => {
      const c = aClaim();
      expect(await repo.claim(c)).toEqual({ outcome: 'claimed' });
      expect(await repo.claim(c)).toEqual({ outcome: 'in_flight' });
    });

    it('answers mismatch to a different request under the key, in flight or completed', async () => {
      const c = aClaim();
      await repo.claim(c);
      expect(await repo.claim({ ...c, requestHash: 'other' })).toEqual({ outcome: 'mismatch' });
      await repo.complete(c, 201, { id: 1 });
      expect(await repo.claim({ ...c, requestHash: 'other' })).toEqual({ outcome: 'mismatch' });
    });

    it('replays the completed status and body to the same request, and completes only once', async () => {
      const c = aClaim();
      await repo.claim(c);
      const body = { org: 'acme_corp', nested: { list: [1, 'two', null] }, amount: 12.5 };
      expect(await repo.complete(c, 201, body)).toBe(true);
      expect(await repo.claim(c)).toEqual({ outcome: 'replay', status: 201, body });
      expect(await repo.complete(c, 500, { other: true })).toBe(false);
      expect(await repo.claim(c)).toEqual({ outcome: 'replay', status: 201, body });
      expect(await row(c)).toMatchObject({ state: 'completed', locked_until: null });
    });

    it('stores an empty body as null and an array body as is', async () => {
      const empty = aClaim();
      await repo.claim(empty);
      await repo.complete(empty, 204, null);
      expect(await repo.claim(empty)).toEqual({ outcome: 'replay', status: 204, body: null });
      const list = aClaim();
      await repo.claim(list);
      await repo.complete(list, 200, [{ a: 1 }, { b: 2 }]);
      expect(await repo.claim(list)).toEqual({ outcome: 'replay', status: 200, body: [{ a: 1 }, { b: 2 }] });
    });

    it('completes only with the claim’s own token, not with another attempt’s of the same request', async () => {
      const c = aClaim();
      await repo.claim(c);
      expect(await repo.complete({ ...c, token: randomUUID() }, 201, { id: 1 })).toBe(false);
      expect(await row(c)).toMatchObject({ state: 'in_flight', response_body: null });
      expect(await repo.complete(c, 201, { id: 1 })).toBe(true);
    });

    it('refuses a claim without a token', async () => {
      const c = aClaim();
      await expect(
        h.db.rpc('claim_idempotency_request', {
          p_scope: c.scope,
          p_key: c.key,
          p_org_slug: c.orgSlug,
          p_request_hash: c.requestHash,
          p_claim_token: null,
        }),
      ).rejects.toMatchObject({ sqlState: '22023' });
      expect(await row(c)).toBeUndefined();
    });

    it('releases an in-flight claim so the next request claims again, but never a completed one', async () => {
      const c = aClaim();
      await repo.claim(c);
      expect(await repo.release({ ...c, token: randomUUID() })).toBe(false);
      expect(await repo.release(c)).toBe(true);
      expect(await row(c)).toBeUndefined();
      expect(await repo.claim(c)).toEqual({ outcome: 'claimed' });
      await repo.complete(c, 200, { ok: true });
      expect(await repo.release(c)).toBe(false);
      expect(await repo.claim(c)).toEqual({ outcome: 'replay', status: 200, body: { ok: true } });
    });

    it('treats an expired key as new, even for a different request', async () => {
      const c = aClaim();
      await repo.claim(c);
      await repo.complete(c, 201, { first: true });
      await shift(c, 'expires_at', -HOUR_MS);
      const next = { ...c, requestHash: 'next-request', orgSlug: 'beta_corp' };
      expect(await repo.claim(next)).toEqual({ outcome: 'claimed' });
      expect(await row(c)).toMatchObject({
        state: 'in_flight',
        request_hash: 'next-request',
        org_slug: 'beta_corp',
        response_status: null,
        response_body: null,
      });
      expect(new Date((await row(c)).expires_at as string).getTime()).toBeGreaterThan(
        Date.now() + 23 * HOUR_MS,
      );
    });

    it('lets the same request take over a claim whose lock lapsed (a crashed instance)', async () => {
      const c = aClaim();
      await repo.claim(c);
      await shift(c, 'locked_until', -1_000);
      const retry = { ...c, token: randomUUID() };
      expect(await repo.claim({ ...retry, requestHash: 'other' })).toEqual({ outcome: 'mismatch' });
      expect(await repo.claim(retry)).toEqual({ outcome: 'claimed' });
      expect(await repo.claim({ ...c, token: randomUUID() })).toEqual({ outcome: 'in_flight' });
      expect(new Date((await row(c)).locked_until as string).getTime()).toBeGreaterThan(Date.now() + 200_000);
      // The superseded holder changes nothing of the claim that took over.
      expect(await repo.renew(c, 600)).toBe(false);
      expect(await repo.release(c)).toBe(false);
      expect(await repo.complete(c, 200, { from: 'first' })).toBe(false);
      expect(await row(c)).toMatchObject({ state: 'in_flight', claim_token: retry.token });
      expect(await repo.complete(retry, 200, { from: 'retry' })).toBe(true);
      expect(await repo.claim(c)).toEqual({ outcome: 'replay', status: 200, body: { from: 'retry' } });
    });

    it('renews only the in-flight claim of its own request, never shortening its lock', async () => {
      const c = aClaim({ lockSeconds: 1 });
      await repo.claim(c);
      const lockedFor = async () => new Date((await row(c)).locked_until as string).getTime() - Date.now();
      expect(await repo.renew(c, 600)).toBe(true);
      expect(await lockedFor()).toBeGreaterThan(590_000);
      expect(await repo.renew(c, 1)).toBe(true);
      expect(await lockedFor()).toBeGreaterThan(590_000);
      expect(await repo.renew({ ...c, token: randomUUID() }, 600)).toBe(false);
      expect(await repo.renew({ ...c, scope: 'root' }, 600)).toBe(false);
      await expect(repo.renew(c, 0)).rejects.toMatchObject({ sqlState: '22023' });

      await repo.complete(c, 201, { id: 1 });
      expect(await repo.renew(c, 600)).toBe(false);
      expect(await row(c)).toMatchObject({ state: 'completed', locked_until: null });

      const expired = aClaim();
      await repo.claim(expired);
      await shift(expired, 'expires_at', -1_000);
      expect(await repo.renew(expired, 600)).toBe(false);
      const released = aClaim();
      await repo.claim(released);
      await repo.release(released);
      expect(await repo.renew(released, 600)).toBe(false);
    });

    it('keeps keys of different scopes apart', async () => {
      const root = aClaim({ scope: 'root' });
      const org = { ...root, scope: 'org:acme_corp', requestHash: 'other' };
      expect(await repo.claim(root)).toEqual({ outcome: 'claimed' });
      expect(await repo.claim(org)).toEqual({ outcome: 'claimed' });
    });

    it('prunes only the expired keys and returns how many', async () => {
      await repo.prune();
      const expired = [aClaim(), aClaim()];
      const live = aClaim();
      for (const c of [...expired, live]) await repo.claim(c);
      await repo.complete(expired[0], 201, { id: 1 });
      for (const c of expired) await shift(c, 'expires_at', -HOUR_MS);
      expect(await repo.prune()).toBe(2);
      expect(await row(expired[0])).toBeUndefined();
      expect(await row(expired[1])).toBeUndefined();
      expect(await row(live)).toMatchObject({ state: 'in_flight' });
      expect(await repo.prune()).toBe(0);
    });

    it('deletes every key concerning an org, whoever made the request', async () => {
      const gone = [aClaim({ orgSlug: 'leaving_org' }), aClaim({ scope: 'root', orgSlug: 'leaving_org' })];
      const kept = aClaim({ orgSlug: 'staying_org' });
      for (const c of [...gone, kept]) await repo.claim(c);
      await repo.complete(gone[0], 201, { id: 1 });
      expect(await repo.deleteForOrg('leaving_org')).toBe(2);
      expect(await row(gone[0])).toBeUndefined();
      expect(await row(gone[1])).toBeUndefined();
      expect(await row(kept)).toBeDefined();
      expect(await repo.deleteForOrg('leaving_org')).toBe(0);
    });

    it('refuses a non-positive time to live or lock', async () => {
      await expect(repo.claim(aClaim({ ttlSeconds: 0 }))).rejects.toMatchObject({ sqlState: '22023' });
      await expect(repo.claim(aClaim({ lockSeconds: -1 }))).rejects.toMatchObject({ sqlState: '22023' });
    });

    it('grants exactly one of 50 concurrent claims of one key', async () => {
      const c = aClaim();
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => repo.claim(c)));
      const counts = outcomes.reduce<Record<string, number>>((acc, o) => {
        acc[o.outcome] = (acc[o.outcome] ?? 0) + 1;
        return acc;
      }, {});
      expect(counts).toEqual({ claimed: 1, in_flight: 49 });
    });

    it('grants exactly one of 50 concurrent claims of an expired key', async () => {
      const c = aClaim();
      await repo.claim(c);
      await repo.complete(c, 201, { old: true });
      await shift(c, 'expires_at', -HOUR_MS);
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => repo.claim(c)));
      expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'in_flight')).toHaveLength(49);
    });
  });
}

// PGlite runs one query at a time, so there the concurrent cases check the outcome logic only.
describeIdempotencySql('PGlite', openPglite);

describe.skipIf(!url)('on the machine PostgreSQL', () => {
  describeIdempotencySql('PostgreSQL in a fresh schema', () => openPostgres(url as string));
  describeIdempotencySql('supabase-js through PostgREST', () => openSupabase(url as string));
});
