import { vi } from 'vitest';
import { orgWithRows } from '#test/costs-harness';
import { aFocusRow, generateFocusRows, TEST_HIERARCHY } from '#test/focus-rows';
import { anOrgSlug } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';
import type { Row } from '#warehouse';
import { CostsRepository } from '../apps/api/src/costs/costs.repository.js';

const PERIOD = 'start_date=2025-03-01&end_date=2025-03-03';

/**
 * A period of many FOCUS rows for few groups: 700 generated rows over three days, rows alike but
 * for the listing's later keys, a few rows repeated exactly (rows that look the same may be listed
 * in either order), and rows whose listed keys are null (nulls sort first).
 */
function periodRows(org: string): Row[] {
  const rows = generateFocusRows({ org, rows: 700, seed: 11, start: '2025-03-01', end: '2025-03-03' });
  const twins = rows.slice(0, 5).map((row) => ({ ...row }));
  const nulls = [
    aFocusRow({ org, date: '2025-03-02', provider: 'AWS', resourceName: null, region: null, billedCost: 1 }),
    aFocusRow({
      org,
      date: '2025-03-02',
      provider: 'AWS',
      subAccountId: 'sub-000',
      region: null,
      billedCost: 2,
    }),
  ];
  // Rows alike in the listing's first keys (day, provider, service, sub-account, resource, region),
  // newest day first so the first pages cut through them, written out of their listed order.
  const tied = Array.from({ length: 60 }, (_, i) =>
    aFocusRow({
      org,
      date: '2025-03-03',
      provider: 'AWS',
      subAccountId: 'sub-001',
      resourceName: 'res-tied',
      billedCost: ((i * 37) % 60) + 0.5,
      chargeCategory: i % 7 === 0 ? 'Credit' : 'Usage',
      entity: TEST_HIERARCHY[i % 9] ?? null,
    }),
  );
  // Rows alike but for their loader, whose billing periods differ below the millisecond a frame
  // keeps (Datetime(ms)): listed, they look alike there and are ordered by the loader.
  const submilli = [
    ['2025-03-01T00:00:00.000900Z', '2025-04-01T00:00:00Z', 'a_loader'],
    ['2025-03-01T00:00:00.000100Z', '2025-04-01T00:00:00Z', 'b_loader'],
    ['2025-03-01T00:00:00Z', '2025-04-01T00:00:00.000900Z', 'c_loader'],
    ['2025-03-01T00:00:00Z', '2025-04-01T00:00:00.000100Z', 'd_loader'],
  ].map(([start, end, source]) =>
    aFocusRow({
      org,
      date: '2025-03-01',
      provider: 'Precise',
      BillingPeriodStart: start,
      BillingPeriodEnd: end,
      sourceSystem: source,
    }),
  );
  return [...tied, ...rows, ...twins, ...nulls, ...submilli];
}

/** How many rows the warehouse groups the period's rows into for the per-entity reads (the widest grouped set). */
function hierarchyGroups(rows: Row[]): number {
  const columns = [
    'ChargePeriodStart',
    'ServiceProviderName',
    'ServiceCategory',
    'ServiceName',
    'ConsumedUnit',
    'x_source_system',
    'x_hierarchy_entity_id',
    'x_hierarchy_entity_name',
    'x_hierarchy_level_code',
    'x_hierarchy_path',
    'x_hierarchy_path_names',
  ];
  return new Set(rows.map((row) => JSON.stringify(columns.map((c) => row[c])))).size;
}

/**
 * Row listings of a period with more FOCUS rows than a listing may load (COST_FRAME_MAX_ROWS, and
 * COST_LISTING_FRAME_MAX_ROWS) are paged by the warehouse, counted and filtered through the
 * period's grouped frame: the same pages as a listing from a frame of the rows (another instance,
 * with the default bound, over the same rows), for every filter and page.
 */
describe('row listings of a period too large to load', () => {
  const org = anOrgSlug('listing');
  const rows = periodRows(org);
  const groups = hierarchyGroups(rows);
  let framed: TestApp;
  let paged: TestApp;
  let headers: Record<string, string>;
  let pagedHeaders: Record<string, string>;

  beforeAll(async () => {
    expect(rows.length).toBeGreaterThan(2 * groups);
    const env = { RATE_LIMIT_READS_PER_MINUTE: '100000' };
    framed = await startTestApp(env);
    // Every grouped frame of the period may load; its rows may not.
    paged = await startTestApp({ ...env, COST_FRAME_MAX_ROWS: String(groups) });
    ({ headers } = await orgWithRows(framed, () => rows, { org }));
    ({ headers: pagedHeaders } = await orgWithRows(paged, () => rows, { org }));
  });

  afterAll(async () => {
    await framed?.close();
    await paged?.close();
  });

  const get = async (t: TestApp, h: Record<string, string>, path: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers: h });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };

  /** The parts of a listing both ways must agree on. */
  const listed = (body: Record<string, unknown>) => ({
    data: body.data,
    summary: body.summary,
    pagination: body.pagination,
    currency: body.currency,
  });

  const bothWays = async (path: string) => {
    const fromFrame = await get(framed, headers, path);
    const fromSql = await get(paged, pagedHeaders, path);
    expect(fromFrame.status, JSON.stringify(fromFrame.body)).toBe(200);
    expect(fromSql.status, JSON.stringify(fromSql.body)).toBe(200);
    expect(listed(fromSql.body), path).toEqual(listed(fromFrame.body));
    return fromSql.body;
  };

  const FILTERS = [
    '',
    '&providers=aws,OPENAI',
    '&service_categories=compute',
    '&department_id=DEPT-1',
    '&hierarchy_entity_id=PROJ-1',
    '&hierarchy_path=/DEPT-1/PROJ-11',
    '&providers=google&department_id=DEPT-10',
    '&providers=nobody',
  ];

  it.each(['', '/cloud', '/genai', '/subscriptions'])(
    'pages %s in the warehouse with the pages, totals and summaries of a frame of rows',
    async (route) => {
      const listRows = vi.spyOn(paged.app.get(CostsRepository), 'listRows');
      try {
        for (const filter of FILTERS) {
          const first = await bothWays(`${route}?${PERIOD}${filter}&limit=37`);
          const total = (first.pagination as { total: number }).total;
          for (const offset of [37, Math.floor(total / 2), Math.max(total - 5, 0), total + 3])
            await bothWays(`${route}?${PERIOD}${filter}&limit=37&offset=${offset}`);
        }
        expect(listRows).toHaveBeenCalled();
      } finally {
        listRows.mockRestore();
      }
    },
  );

  it('pages a period past COST_LISTING_FRAME_MAX_ROWS in the warehouse, its aggregations read as usual', async () => {
    const listing = await startTestApp({
      RATE_LIMIT_READS_PER_MINUTE: '100000',
      COST_LISTING_FRAME_MAX_ROWS: String(rows.length - 1),
    });
    try {
      const { headers: listingHeaders } = await orgWithRows(listing, () => rows, { org });
      const pagedThere = vi.spyOn(listing.app.get(CostsRepository), 'listRows');
      const pagedInFramed = vi.spyOn(framed.app.get(CostsRepository), 'listRows');
      for (const path of [
        `?${PERIOD}&limit=50&offset=60`,
        `/genai?${PERIOD}&limit=20`,
        `/summary?${PERIOD}`,
      ]) {
        const there = await get(listing, listingHeaders, path);
        const fromFrame = await get(framed, headers, path);
        expect(there.status, JSON.stringify(there.body)).toBe(200);
        expect(listed(there.body), path).toEqual(listed(fromFrame.body));
      }
      expect(pagedThere).toHaveBeenCalledTimes(2);
      // The default bound holds this period's rows: a frame of them pages it.
      expect(pagedInFramed).not.toHaveBeenCalled();
    } finally {
      await listing.close();
    }
  });

  it('lists every row once across its pages, and the entity filter on whole path segments', async () => {
    const all = await bothWays(`?${PERIOD}&limit=10000`);
    expect((all.data as unknown[]).length).toBe(rows.length);
    const pages: unknown[] = [];
    for (let offset = 0; offset < rows.length; offset += 97)
      pages.push(
        ...((await get(paged, pagedHeaders, `?${PERIOD}&limit=97&offset=${offset}`)).body.data as unknown[]),
      );
    expect(pages).toEqual(all.data);
    const dept1 = (await get(paged, pagedHeaders, `?${PERIOD}&limit=10000&department_id=DEPT-1`)).body;
    const paths = (dept1.data as { x_hierarchy_path: string | null }[]).map((r) => r.x_hierarchy_path);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => p === '/DEPT-1' || p?.startsWith('/DEPT-1/'))).toBe(true);
  });

  it('orders billing periods to the millisecond a frame of rows holds, so pages cut where its pages do', async () => {
    const path = `?${PERIOD}&providers=precise`;
    const all = await bothWays(`${path}&limit=10`);
    const sources = (all.data as { x_source_system: string }[]).map((row) => row.x_source_system);
    expect(sources).toEqual(['a_loader', 'b_loader', 'c_loader', 'd_loader']);
    const pages: unknown[] = [];
    for (let offset = 0; offset < sources.length; offset++)
      pages.push(...((await bothWays(`${path}&limit=1&offset=${offset}`)).data as unknown[]));
    expect(pages).toEqual(all.data);
  });

  it('keeps a page for as long as the period’s frames live, and asks nothing past the last row', async () => {
    const listRows = vi.spyOn(paged.app.get(CostsRepository), 'listRows');
    try {
      const path = `?${PERIOD}&providers=anthropic&limit=11&offset=3`;
      const first = await get(paged, pagedHeaders, path);
      const again = await get(paged, pagedHeaders, path);
      expect(again.body.data).toEqual(first.body.data);
      expect(again.body.cache_hit).toBe(true);
      expect(listRows).toHaveBeenCalledTimes(1);
      const past = await get(paged, pagedHeaders, `?${PERIOD}&limit=11&offset=${rows.length}`);
      expect(past.body).toMatchObject({ data: [], pagination: { total: rows.length } });
      expect(listRows).toHaveBeenCalledTimes(1);
    } finally {
      listRows.mockRestore();
    }
  });

  it('answers a page past the last row as a cache hit only when the period’s rows were not counted for it', async () => {
    const invalidated = await paged.app.inject({
      method: 'POST',
      url: `/api/v1/costs/${org}/cache/invalidate`,
      headers: pagedHeaders,
    });
    expect(invalidated.statusCode).toBe(200);
    expect((await get(paged, pagedHeaders, `/summary?${PERIOD}`)).body.cache_hit).toBe(false);
    const loads = vi.spyOn(paged.app.get(CostsRepository), 'loadFrame');
    try {
      const path = (limit: number) => `?${PERIOD}&limit=${limit}&offset=${rows.length}`;
      // The grouped frame is cached, but the period's rows were counted (and refused) for this page.
      const past = await get(paged, pagedHeaders, path(11));
      expect(past.body).toMatchObject({ data: [], pagination: { total: rows.length }, cache_hit: false });
      expect(loads.mock.calls.map((call) => call[3])).toEqual(['rows']);
      // Asked again, the refusal is kept: no query at all.
      expect((await get(paged, pagedHeaders, path(12))).body.cache_hit).toBe(true);
      expect(loads).toHaveBeenCalledTimes(1);
    } finally {
      loads.mockRestore();
    }
  });
});
