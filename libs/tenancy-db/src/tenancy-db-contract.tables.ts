import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import type { DbRow, Filter } from './tenancy-db.port.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';
import type { ContractContext } from './tenancy-db-contract.js';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface OrgRow extends DbRow {
  id: string;
  org_slug: string;
  company_name: string;
  admin_email: string | null;
  plan: string;
  seat_limit: number | null;
  created_at: string;
  updated_at: string;
}

/** The table operations of the contract, on `organizations` (registered inside its describe). */
export function tableOperationCases(ctx: ContractContext): void {
  const { slug, org } = ctx;

  it('inserts a row and returns it with the column defaults', async () => {
    const [row] = await ctx.db.insert<OrgRow>('organizations', [
      org('defaults', { admin_email: 'a@example.com' }),
    ]);
    expect(row).toMatchObject({
      company_name: 'Company defaults',
      admin_email: 'a@example.com',
      plan: 'STARTER',
      billing_status: 'active',
      backend_onboarded: false,
      backend_quota_synced: false,
      pipelines_per_day_limit: null,
      trial_ends_at: null,
    });
    expect(row.id).toMatch(UUID);
    expect(row.created_at).toMatch(ISO_UTC);
    expect(row.updated_at).toBe(row.created_at);
  });

  it('selects with equality, in, null filters, order, limit, offset and columns', async () => {
    const rows = [
      org('sel', { plan: 'SCALE', seat_limit: 11 }),
      org('sel', { plan: 'SCALE', seat_limit: 3 }),
      org('sel', { plan: 'PROFESSIONAL' }),
      org('sel', { plan: 'SCALE' }),
    ];
    await ctx.db.insert('organizations', rows);
    const slugs = rows.map((r) => r.org_slug as string);
    const mine = { org_slug: { in: slugs } };
    const bySlug = [{ column: 'org_slug' }];

    const scale = await ctx.db.select<OrgRow>(
      'organizations',
      { ...mine, plan: 'SCALE' },
      { orderBy: bySlug },
    );
    expect(scale.map((r) => r.org_slug)).toEqual([slugs[0], slugs[1], slugs[3]]);
    const noSeats = await ctx.db.select<OrgRow>(
      'organizations',
      { ...mine, seat_limit: null },
      { orderBy: bySlug },
    );
    expect(noSeats.map((r) => r.org_slug)).toEqual([slugs[2], slugs[3]]);
    const some = await ctx.db.select<OrgRow>(
      'organizations',
      { org_slug: { in: [slugs[1], slugs[2]] } },
      { orderBy: bySlug },
    );
    expect(some.map((r) => r.org_slug)).toEqual([slugs[1], slugs[2]]);
    expect(await ctx.db.select('organizations', { org_slug: { in: [] } })).toEqual([]);

    const bySeats = await ctx.db.select<OrgRow>(
      'organizations',
      { ...mine, plan: 'SCALE', seat_limit: { in: [3, 11] } },
      {
        orderBy: [{ column: 'seat_limit', ascending: false }],
      },
    );
    expect(bySeats.map((r) => r.seat_limit)).toEqual([11, 3]);
    const page = await ctx.db.select('organizations', mine, {
      columns: ['org_slug', 'plan'],
      orderBy: bySlug,
      limit: 2,
      offset: 1,
    });
    expect(page).toEqual([
      { org_slug: slugs[1], plan: 'SCALE' },
      { org_slug: slugs[2], plan: 'PROFESSIONAL' },
    ]);
    const tail = await ctx.db.select('organizations', mine, {
      columns: ['org_slug'],
      orderBy: bySlug,
      offset: 3,
    });
    expect(tail).toEqual([{ org_slug: slugs[3] }]);
  });

  it('matches an `in` list holding null as SQL does: its other values, never a NULL', async () => {
    const rows = [
      org('innull', { seat_limit: 3, admin_email: 'null' }),
      org('innull', { seat_limit: null, admin_email: null }),
      org('innull', { seat_limit: 7, admin_email: 'x@example.com' }),
    ];
    await ctx.db.insert('organizations', rows);
    const slugs = rows.map((r) => r.org_slug as string);
    const mine = { org_slug: { in: slugs } };
    const slugsOf = async (filter: Filter) =>
      (
        await ctx.db.select<OrgRow>(
          'organizations',
          { ...mine, ...filter },
          { orderBy: [{ column: 'org_slug' }] },
        )
      ).map((r) => r.org_slug);
    // `col = ANY('{3,NULL}')`: NULL equals nothing, not even a NULL (an integer column).
    expect(await slugsOf({ seat_limit: { in: [3, null] } })).toEqual([slugs[0]]);
    expect(await slugsOf({ seat_limit: { in: [null] } })).toEqual([]);
    // A text column: null is no text 'null' either.
    expect(await slugsOf({ admin_email: { in: [null, 'x@example.com'] } })).toEqual([slugs[2]]);
    expect(await slugsOf({ admin_email: { in: [null] } })).toEqual([]);
    // Writes filter the same way.
    expect(
      await ctx.db.update('organizations', { ...mine, seat_limit: { in: [null] } }, { plan: 'SCALE' }),
    ).toEqual([]);
    const gone = await ctx.db.delete<OrgRow>('organizations', { ...mine, seat_limit: { in: [null, 7] } });
    expect(gone.map((r) => r.org_slug)).toEqual([slugs[2]]);
  });

  it('matches `in` and equality values holding the list syntax (commas, parentheses, quotes, backslashes, spaces) as given', async () => {
    const names = [
      ' Leading space',
      'Acme, Inc. (EU)',
      'Say "hi", then go',
      '"Quoted"',
      'C:\\dir (copy)',
      'a\\"b,c',
    ];
    const rows = names.map((company_name) => org('lit', { company_name }));
    await ctx.db.insert('organizations', rows);
    const slugs = rows.map((r) => r.org_slug as string);
    const mine = { org_slug: { in: slugs } };
    const found = await ctx.db.select<OrgRow>(
      'organizations',
      { ...mine, company_name: { in: names } },
      { columns: ['company_name'] },
    );
    expect(found.map((r) => r.company_name).sort()).toEqual([...names].sort());
    for (const name of names) {
      const one = await ctx.db.select<OrgRow>(
        'organizations',
        { ...mine, company_name: { in: [name, 'none'] } },
        { columns: ['company_name'] },
      );
      expect(one.map((r) => r.company_name)).toEqual([name]);
      const eq = await ctx.db.select<OrgRow>('organizations', { ...mine, company_name: name });
      expect(eq.map((r) => r.company_name)).toEqual([name]);
    }
  });

  it('upserts on the conflict columns, overwriting only the columns sent', async () => {
    const [existing] = await ctx.db.insert<OrgRow>('organizations', [
      org('ups', { admin_email: 'keep@example.com' }),
    ]);
    const fresh = slug('ups');
    const rows = await ctx.db.upsert<OrgRow>(
      'organizations',
      [
        { org_slug: existing.org_slug, company_name: 'Renamed', plan: 'SCALE' },
        { org_slug: fresh, company_name: 'Fresh', plan: 'PROFESSIONAL' },
      ],
      ['org_slug'],
    );
    const byslug = new Map(rows.map((r) => [r.org_slug, r]));
    expect(byslug.get(existing.org_slug)).toMatchObject({
      id: existing.id,
      company_name: 'Renamed',
      plan: 'SCALE',
      admin_email: 'keep@example.com',
    });
    expect(byslug.get(fresh)).toMatchObject({
      company_name: 'Fresh',
      plan: 'PROFESSIONAL',
      billing_status: 'active',
    });
  });

  it('updates the matching rows, returns them and moves updated_at', async () => {
    const [created] = await ctx.db.insert<OrgRow>('organizations', [org('upd')]);
    // Compared to the millisecond below: the update must start in a later one.
    await sleep(2);
    const rows = await ctx.db.update<OrgRow>(
      'organizations',
      { org_slug: created.org_slug },
      { seat_limit: 5, trial_ends_at: new Date('2030-01-02T03:04:05.678Z'), backend_onboarded: true },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      seat_limit: 5,
      trial_ends_at: '2030-01-02T03:04:05.678+00:00',
      backend_onboarded: true,
    });
    expect(Date.parse(rows[0].updated_at)).toBeGreaterThan(Date.parse(created.created_at));
    expect(await ctx.db.update('organizations', { org_slug: slug('nobody') }, { seat_limit: 1 })).toEqual([]);
  });

  it('deletes the matching rows and returns them', async () => {
    const rows = [org('del'), org('del'), org('del')];
    await ctx.db.insert('organizations', rows);
    const gone = await ctx.db.delete<OrgRow>('organizations', {
      org_slug: { in: [rows[0].org_slug as string, rows[1].org_slug as string] },
    });
    expect(gone.map((r) => r.org_slug).sort()).toEqual([rows[0].org_slug, rows[1].org_slug].sort());
    const left = await ctx.db.select<OrgRow>('organizations', {
      org_slug: { in: rows.map((r) => r.org_slug as string) },
    });
    expect(left.map((r) => r.org_slug)).toEqual([rows[2].org_slug]);
  });

  it('updates and deletes by an `in` list longer than a request URL takes', async () => {
    const rows = [org('long'), org('long'), org('long')];
    await ctx.db.insert('organizations', rows);
    const mine = rows.map((r) => r.org_slug as string);
    // 400 slugs of 40 characters: past the 8 KiB request target of the gateway in front of PostgREST.
    const list = [
      ...mine,
      ...Array.from({ length: 400 }, (_, i) => `${slug('absent')}_${'x'.repeat(30)}${i}`),
    ];
    const updated = await ctx.db.update<OrgRow>(
      'organizations',
      { org_slug: { in: list } },
      { seat_limit: 7 },
    );
    expect(updated.map((r) => [r.org_slug, r.seat_limit]).sort()).toEqual(mine.map((s) => [s, 7]).sort());
    const gone = await ctx.db.delete<OrgRow>('organizations', { org_slug: { in: list } });
    expect(gone.map((r) => r.org_slug).sort()).toEqual([...mine].sort());
    expect(await ctx.db.select('organizations', { org_slug: { in: mine } })).toEqual([]);
  });

  it('refuses an update or delete without a filter', async () => {
    await expect(ctx.db.update('organizations', {}, { seat_limit: 1 })).rejects.toMatchObject({
      code: TenancyDbErrorCode.QueryFailed,
    });
    await expect(ctx.db.delete('organizations', {})).rejects.toMatchObject({
      code: TenancyDbErrorCode.QueryFailed,
    });
  });

  it('reports a duplicate org slug as a Conflict on the unique constraint', async () => {
    const row = org('dup');
    await ctx.db.insert('organizations', [row]);
    await expect(ctx.db.insert('organizations', [row])).rejects.toMatchObject({
      code: TenancyDbErrorCode.Conflict,
      sqlState: '23505',
      constraint: 'organizations_org_slug_key',
    });
  });

  it('reports an unknown plan and a malformed slug as Conflicts on their check constraints', async () => {
    await expect(ctx.db.insert('organizations', [org('plan', { plan: 'GOLD' })])).rejects.toMatchObject({
      code: TenancyDbErrorCode.Conflict,
      sqlState: '23514',
      constraint: 'organizations_plan_check',
    });
    await expect(
      ctx.db.insert('organizations', [{ org_slug: 'Bad-Slug', company_name: 'x' }]),
    ).rejects.toMatchObject({
      code: TenancyDbErrorCode.Conflict,
      constraint: 'organizations_org_slug_check',
    });
  });

  it('refuses table and column names that are not plain identifiers', async () => {
    await expect(ctx.db.select('organizations; drop table organizations')).rejects.toMatchObject({
      code: TenancyDbErrorCode.QueryFailed,
    });
    await expect(ctx.db.select('organizations', { 'org_slug"': 'x' })).rejects.toMatchObject({
      code: TenancyDbErrorCode.QueryFailed,
    });
  });
}
