import { randomUUID } from 'node:crypto';
import { type DbValue, type TenancyDb, TenancyDbError, TenancyDbErrorCode } from '#tenancy-db';
import { startPostgrestServer } from '#test/postgrest-server';
import { quotaEngines, supabaseEngine } from '#test/quota-db';
import { OrgError, OrgErrorCode } from './org-errors.js';
import { OrgLeases } from './org-lease.js';

class Busy extends Error {
  constructor(readonly retryAfter: number) {
    super(`busy, retry in ${retryAfter} s`);
  }
}
const busy = (retryAfter: number) => new Busy(retryAfter);

const url = process.env.TEST_DATABASE_URL;

// Supabase too: the API calls the lease functions through supabase-js there (PostgREST's rpc).
describe.each(quotaEngines(url ? [supabaseEngine(url, startPostgrestServer)] : []))(
  'org leases on $name',
  (engine) => {
    let db: TenancyDb;
    let close: () => Promise<void>;
    let leases: OrgLeases;

    beforeAll(async () => {
      ({ db, close } = await engine.open());
      leases = new OrgLeases(db);
    });
    afterAll(() => close());

    const claim = async (org: string, holder: string, ttl = 60) =>
      (
        await db.rpc<{ claimed: boolean; retry_after_seconds: number | null }>('claim_org_lease', {
          p_org_slug: org,
          p_operation: 'api-key',
          p_holder: holder,
          p_ttl_seconds: ttl,
        })
      )[0]!;

    it('refuses a second holder while the lease lives, with the seconds it has left, and frees it on release', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      const [a, b] = [randomUUID(), randomUUID()];
      expect(await claim(org, a, 60)).toEqual({ claimed: true, retry_after_seconds: null });
      const refused = await claim(org, b);
      expect(refused.claimed).toBe(false);
      expect(refused.retry_after_seconds).toBeGreaterThanOrEqual(59);
      expect(refused.retry_after_seconds).toBeLessThanOrEqual(60);
      expect((await claim(org, a)).claimed).toBe(true); // the holder may renew
      await db.rpc('release_org_lease', { p_org_slug: org, p_operation: 'api-key', p_holder: b }); // not b's
      expect((await claim(org, b)).claimed).toBe(false);
      await db.rpc('release_org_lease', { p_org_slug: org, p_operation: 'api-key', p_holder: a });
      expect((await claim(org, b)).claimed).toBe(true);
    });

    it('lets another holder take a lease past its expiry (a crashed holder)', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      expect((await claim(org, randomUUID(), 1)).claimed).toBe(true);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await claim(org, randomUUID())).claimed).toBe(true);
    });

    it('keeps leases of other orgs and operations apart', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      expect((await claim(org, randomUUID())).claimed).toBe(true);
      expect((await claim(`${org}_2`, randomUUID())).claimed).toBe(true);
      const other = await db.rpc<{ claimed: boolean }>('claim_org_lease', {
        p_org_slug: org,
        p_operation: 'lifecycle',
        p_holder: randomUUID(),
        p_ttl_seconds: 60,
      });
      expect(other[0]!.claimed).toBe(true);
    });

    it('runs exactly one of many concurrent holds, refuses the rest at once, and releases after a failure', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      // The winner holds on until every other claim has been answered (or 10 s), so a claim that
      // only reached the database late cannot find the lease already released.
      let refusals = 0;
      let allRefused!: () => void;
      const everyoneAnswered = new Promise<void>((resolve) => (allRefused = resolve));
      const counted = (retryAfter: number) => {
        if (++refusals === 19) allRefused();
        return busy(retryAfter);
      };
      let running = 0;
      let most = 0;
      const work = async () => {
        most = Math.max(most, ++running);
        let guard: NodeJS.Timeout | undefined;
        await Promise.race([everyoneAnswered, new Promise((r) => (guard = setTimeout(r, 10_000)))]);
        clearTimeout(guard);
        running--;
        return 'done';
      };
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => leases.hold(org, 'api-key', 60, counted, work)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused).toHaveLength(19);
      expect(refused.every((r) => r.reason instanceof Busy && r.reason.retryAfter <= 5)).toBe(true);
      expect(most).toBe(1);

      await expect(
        leases.hold(org, 'api-key', 60, busy, () => Promise.reject(new Error('boom'))),
      ).rejects.toThrow('boom');
      await expect(leases.hold(org, 'api-key', 60, busy, () => Promise.resolve(1))).resolves.toBe(1);
    });
    it('keeps a held lease alive past its TTL while the work runs, so its TTL only bounds a crashed holder', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      const other = new OrgLeases(db);
      const held = leases.hold(org, 'lifecycle', 1, busy, async () => {
        await new Promise((r) => setTimeout(r, 1_600));
        return 'done';
      });
      await new Promise((r) => setTimeout(r, 1_200));
      // Past the 1 s TTL: renewed, so still refused.
      await expect(
        other.hold(org, 'lifecycle', 1, busy, () => Promise.resolve('second')),
      ).rejects.toBeInstanceOf(Busy);
      await expect(held).resolves.toBe('done');
      await expect(other.hold(org, 'lifecycle', 1, busy, () => Promise.resolve('second'))).resolves.toBe(
        'second',
      );
    });

    it('lets a renewal still in flight land before the release, so the lease is free once the work is done', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      // The renewals of this instance are slow: the one under way when the work ends lands late.
      let claims = 0;
      const slowRenewals = new Proxy(db, {
        get(target, prop, receiver) {
          if (prop !== 'rpc') return Reflect.get(target, prop, receiver) as unknown;
          return async (name: string, args: Record<string, DbValue>) => {
            if (name === 'claim_org_lease' && ++claims > 1) await new Promise((r) => setTimeout(r, 400));
            return target.rpc(name, args);
          };
        },
      });
      const slow = new OrgLeases(slowRenewals);
      // A 1 s TTL renews every 333 ms: a renewal starts then and lands at ~733 ms, after the work (400 ms).
      await slow.hold(org, 'lifecycle', 1, busy, () => new Promise((r) => setTimeout(r, 400)));
      // Past the moment the late renewal reaches the database, the lease is free all the same.
      await new Promise((r) => setTimeout(r, 500));
      await expect(leases.hold(org, 'lifecycle', 60, busy, () => Promise.resolve('next'))).resolves.toBe(
        'next',
      );
    });

    it('releases the lease although the first release was cut with its connection (a failover)', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      let releases = 0;
      const cutOnce = new Proxy(db, {
        get(target, prop, receiver) {
          if (prop !== 'rpc') return Reflect.get(target, prop, receiver) as unknown;
          return (name: string, args: Record<string, DbValue>) =>
            name === 'release_org_lease' && ++releases === 1
              ? Promise.reject(new TenancyDbError(TenancyDbErrorCode.Unavailable, 'connection terminated'))
              : target.rpc(name, args);
        },
      });

      await new OrgLeases(cutOnce).hold(org, 'api-key', 120, busy, () => Promise.resolve('rotated'));

      expect(releases).toBe(2);
      // The next key change of the org runs now, not once the 120 s lease has run out.
      await expect(leases.hold(org, 'api-key', 120, busy, () => Promise.resolve('next'))).resolves.toBe(
        'next',
      );
    });

    it('runs writes of an org side by side, refuses them while it is created or removed, and lets a removal wait for them', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let both!: () => void;
      const bothInside = new Promise<void>((resolve) => (both = resolve));
      let inside = 0;
      // Two instances' writes.
      const writes = [leases, new OrgLeases(db)].map((instance) =>
        instance.write(org, async () => {
          if (++inside === 2) both();
          await held;
        }),
      );
      await Promise.race([bothInside, new Promise((r) => setTimeout(r, 2_000))]);
      expect(inside).toBe(2);
      // The removal takes the lifecycle lease at once, and then waits for the two writes.
      const removal = leases.hold(org, 'lifecycle', 60, busy, async () => {
        const left = await leases.writesEnded(org, 200);
        expect(left).toBeGreaterThanOrEqual(1);
        expect(left).toBeLessThanOrEqual(30);
        // No write starts while the lifecycle lease lives...
        const refused = await leases.write(org, () => Promise.resolve('late')).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(OrgError);
        expect((refused as OrgError).code).toBe(OrgErrorCode.LifecycleInProgress);
        release();
        // ...and those running end.
        return leases.writesEnded(org, 5_000);
      });
      await expect(removal).resolves.toBe(0);
      await Promise.all(writes);
      // Released: writes run again, and a write failing releases its lease too.
      await expect(leases.write(org, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await leases.writesEnded(org, 0)).toBe(0);
      await expect(leases.write(org, () => Promise.resolve('again'))).resolves.toBe('again');
    });

    it("deletes an org's expired write leases when a write is claimed or a removal looks (a release that never came)", async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      const other = `${org}_2`;
      const writeLeases = async (slug: string) =>
        (await db.select<{ operation: string }>('org_operation_leases', { org_slug: slug }))
          .map((l) => l.operation)
          .filter((op) => op.startsWith('write:'));
      // A write running meanwhile keeps its lease.
      await db.rpc('claim_org_write_lease', { p_org_slug: org, p_holder: randomUUID(), p_ttl_seconds: 60 });
      // Writes whose release never came (a crashed instance): their leases expired a minute ago.
      const dead = (slug: string) => {
        const holder = randomUUID();
        return {
          org_slug: slug,
          operation: `write:${holder}`,
          holder,
          expires_at: new Date(Date.now() - 60_000),
        };
      };
      await db.insert('org_operation_leases', [dead(org), dead(org), dead(other)]);
      expect(await writeLeases(org)).toHaveLength(3);

      await expect(leases.write(org, () => Promise.resolve('next'))).resolves.toBe('next');

      expect(await writeLeases(org)).toHaveLength(1);
      // Another org's are its own: pruned by its next write, or by its removal's look.
      expect(await writeLeases(other)).toHaveLength(1);
      expect(await leases.writesEnded(other, 0)).toBe(0);
      expect(await writeLeases(other)).toEqual([]);
    });

    it('queues holders one at a time across instances, in turn, keeping a lease alive past its TTL', async () => {
      const org = `org_${randomUUID().slice(0, 8)}`;
      const instances = [leases, new OrgLeases(db)];
      let running = 0;
      let most = 0;
      const order: number[] = [];
      const work = (i: number) => async () => {
        most = Math.max(most, ++running);
        order.push(i);
        // The first holder outlives its 1 s TTL: renewals keep the others out.
        await new Promise((r) => setTimeout(r, i === 0 ? 1_600 : 20));
        running--;
        if (i === 1) throw new Error('boom');
        return i;
      };
      const first = instances[0].queue(org, 'import', 1, work(0), { pollMs: 50 });
      await new Promise((r) => setTimeout(r, 100));
      const rest = [1, 2, 3].map((i) => instances[i % 2].queue(org, 'import', 1, work(i), { pollMs: 50 }));
      await expect(first).resolves.toBe(0);
      const settled = await Promise.allSettled(rest);
      expect(settled.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
      expect(most).toBe(1);
      expect(order[0]).toBe(0);
      expect(order.slice(1).sort()).toEqual([1, 2, 3]);
      // Every holder released: a new claim gets the lease at once.
      const [after] = await db.rpc<{ claimed: boolean }>('claim_org_lease', {
        p_org_slug: org,
        p_operation: 'import',
        p_holder: randomUUID(),
        p_ttl_seconds: 60,
      });
      expect(after!.claimed).toBe(true);
    });
  },
);
