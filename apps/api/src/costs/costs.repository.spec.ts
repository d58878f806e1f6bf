import os from 'node:os';
import pl from 'nodejs-polars';
import { C, costTotals, prepareCostFrameSync, rawCostColumns } from '#analytics';
import { loadAppConfig } from '#platform';
import { aFocusRow, generateFocusRows, TEST_HIERARCHY } from '#test/focus-rows';
import { CENTRAL_DATASET, DuckDbWarehouse, SchemaRegistry } from '#warehouse';
import { COST_TABLE, CostsRepository } from './costs.repository.js';

const config = loadAppConfig({
  ENVIRONMENT: 'development',
  CA_ROOT_API_KEY: 'k'.repeat(40),
  DATA_DIR: os.tmpdir(),
  LOG_LEVEL: 'silent',
});
const ORG = 'repo_org';

describe('CostsRepository on DuckDB', () => {
  let warehouse: DuckDbWarehouse;
  let repo: CostsRepository;

  beforeAll(async () => {
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    const registry = SchemaRegistry.load();
    await warehouse.ensureDataset(config.orgDataset(ORG));
    await warehouse.ensureTable(config.orgDataset(ORG), registry.orgTable(COST_TABLE));
    await warehouse.ensureDataset(CENTRAL_DATASET);
    await warehouse.ensureTable(CENTRAL_DATASET, registry.centralTable('org_profiles'));
    repo = new CostsRepository(warehouse, config);
    await warehouse.insertRows({ dataset: config.orgDataset(ORG), table: COST_TABLE }, [
      aFocusRow({ org: ORG, date: '2025-03-01', billedCost: 12.345678, effectiveCost: 10.5, listCost: 13 }),
      aFocusRow({ org: ORG, date: '2025-03-02', billedCost: -0.0000005, entity: TEST_HIERARCHY[5] }),
      // 23:30 UTC still belongs to its UTC day; the next midnight to the next day.
      aFocusRow({
        org: ORG,
        date: '2025-03-02',
        ChargePeriodStart: new Date('2025-03-02T23:30:00Z'),
        billedCost: 1,
      }),
      aFocusRow({ org: ORG, date: '2025-03-03', billedCost: 100 }),
      // From 999 on the warehouse rounds on the 38-digit path.
      aFocusRow({
        org: ORG,
        date: '2025-03-02',
        billedCost: -2500.0000005,
        effectiveCost: 1000,
        listCost: 1e9,
      }),
    ]);
  });

  afterAll(async () => {
    await warehouse.close();
  });

  it('loads the period as micro-units rounded half away from zero, one UTC day at a time', async () => {
    const raw = await repo.loadFrame(ORG, '2025-03-01', '2025-03-02');
    const days = prepareCostFrameSync(raw).select(pl.col(C.date).dt.strftime('%Y-%m-%d'), C.billed);
    expect(days.sort(C.billed).getColumn(C.date).toArray()).toEqual([
      '2025-03-02',
      '2025-03-02',
      '2025-03-02',
      '2025-03-01',
    ]);
    const rows = raw.sort(C.billed).toRecords() as Record<string, unknown>[];
    expect(rows.map((r) => [r[C.billed], r[C.effective], r[C.list]])).toEqual([
      [-2_500_000_001, 1_000_000_000, 1_000_000_000_000_000],
      [-1, -1, -1],
      [1_000_000, 1_000_000, 1_000_000],
      [12_345_678, 10_500_000, 13_000_000],
    ]);
    // What the rounding left out, in nano-units: a sum adds it back (−0.0000005 is −1 micro-unit + 500).
    expect(rows.map((r) => [r[C.billedRest], r[C.effectiveRest], r[C.listRest]])).toEqual([
      [500, 0, 0],
      [500, 500, 500],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(rows[1]![C.path]).toBe('/DEPT-1/PROJ-1/TEAM-1');
    expect(rows[3]![C.billingPeriodStart]).toEqual(new Date('2025-03-01T00:00:00Z'));
  });

  it('gives a frame that prepareCostFrameSync accepts, with the category derived', async () => {
    const frame = prepareCostFrameSync(await repo.loadFrame(ORG, '2025-03-01', '2025-03-31'));
    expect(frame.height).toBe(5);
    const rows = frame.sort(C.billed).toRecords() as Record<string, unknown>[];
    expect(rows.map((r) => r[C.billed])).toEqual([-2_500_000_001, -1, 1_000_000, 12_345_678, 100_000_000]);
    expect(new Set(rows.map((r) => r[C.category]))).toEqual(new Set(['cloud']));
  });

  it.each([
    // 2025-03-02's three rows are one group; one of them has another hierarchy entity.
    ['costs', [-2_499_000_002, 12_345_678, 100_000_000], [3, 1, 1], [1000, 0, 0]],
    ['hierarchy', [-2_499_000_001, -1, 12_345_678, 100_000_000], [2, 1, 1, 1], [500, 500, 0, 0]],
  ] as const)(
    'loads the %s set summed by its other columns and UTC day, exactly, with the rows each group holds',
    async (set, billed, rows, rests) => {
      const raw = await repo.loadFrame(ORG, '2025-03-01', '2025-03-31', set);
      const groups = raw.sort(C.billed).toRecords() as Record<string, unknown>[];
      expect(groups.map((g) => g[C.billed])).toEqual(billed);
      expect(groups.map((g) => g[C.rowCount])).toEqual(rows);
      // The rests add up too: −2,499,000,002 micro-units and 1,000 nano-units is −2,499.000001.
      expect(groups.map((g) => g[C.billedRest])).toEqual(rests);
      // 23:30 UTC is in its UTC day's group: the days are UTC midnights.
      expect(new Set(groups.map((g) => (g[C.date] as Date).toISOString()))).toEqual(
        new Set(['2025-03-01', '2025-03-02', '2025-03-03'].map((d) => `${d}T00:00:00.000Z`)),
      );
    },
  );

  it.each(['costs', 'hierarchy'] as const)(
    'loads only the columns of the %s set, with the same costs',
    async (set) => {
      const raw = await repo.loadFrame(ORG, '2025-03-01', '2025-03-31', set);
      expect(raw.columns.sort()).toEqual(
        rawCostColumns(set)
          .map(([name]) => name)
          .sort(),
      );
      expect(raw.columns).not.toContain(C.resourceName);
      if (set === 'costs') expect(raw.columns).not.toContain(C.path);
      else expect(raw.columns).toContain(C.path);
      const frame = prepareCostFrameSync(raw, set);
      // −2,499,000,002 + 12,345,678 + 100,000,000 micro-units, and the 1,000 nano-units of the rests.
      expect(costTotals(frame)).toMatchObject({ billed: -2_386_654_323, recordCount: 5 });
      expect(new Set(frame.getColumn(C.category).toArray())).toEqual(new Set(['cloud']));
      expect(() => prepareCostFrameSync(raw, 'rows')).toThrow(/missing columns/);
    },
  );

  it.each(['costs', 'hierarchy'] as const)(
    'keeps a %s group summing past 2^53 micro-units to integers the BigQuery driver accepts, exactly',
    async (set) => {
      // Four rows of one day and service: 12e9 currency units and a few micro-units, past 2^53
      // micro-units, which the BigQuery driver refuses as an INT64 (not exact as a number).
      await warehouse.insertRows(
        { dataset: config.orgDataset(ORG), table: COST_TABLE },
        // An odd number of micro-units, which a FLOAT64 this large cannot hold: 1.2e16 + 5.
        [1, 1, 1, 2].map((micros) =>
          aFocusRow({ org: ORG, date: '2025-04-01', billedCost: 3_000_000_000 + micros / 1e6 }),
        ),
      );
      const exact = (df: pl.DataFrame) =>
        (df.toRecords() as Record<string, unknown>[]).reduce(
          (sum, r) =>
            sum +
            BigInt(r[C.billed] as number) * 1000n +
            BigInt((r[C.billedRest] as number | undefined) ?? 0),
          0n,
        );
      const rows = await repo.loadFrame(ORG, '2025-04-01', '2025-04-01', 'rows');
      const grouped = await repo.loadFrame(ORG, '2025-04-01', '2025-04-01', set);
      await warehouse.query(`DELETE FROM ${config.orgDataset(ORG)}.${COST_TABLE} WHERE BilledCost > 1e9`);
      expect(grouped.height).toBe(1);
      for (const column of grouped.columns.filter((c) => grouped.getColumn(c).dtype.variant === 'Int64'))
        for (const value of grouped.getColumn(column).toArray())
          expect(Number.isSafeInteger(value), `${column}: ${value}`).toBe(true);
      expect(exact(grouped)).toBe(exact(rows));
      const frame = prepareCostFrameSync(grouped, set);
      expect(exact(frame)).toBe(exact(rows));
      expect(costTotals(frame).billed).toBe(Number(exact(rows)) / 1000);
    },
  );

  it('loads costs just under 1,000 that round up to it, on either side of zero', async () => {
    // ×1e6 rounds to 1e9, one digit past the 64-bit path's NUMERIC(18, 9).
    const costs = [999.9999996, -999.9999996, 999.9999994, 999.0000004];
    await warehouse.insertRows(
      { dataset: config.orgDataset(ORG), table: COST_TABLE },
      costs.map((billedCost) => aFocusRow({ org: ORG, date: '2025-05-01', billedCost })),
    );
    try {
      const raw = await repo.loadFrame(ORG, '2025-05-01', '2025-05-01');
      const rows = raw.sort(C.billed).toRecords() as Record<string, unknown>[];
      expect(rows.map((r) => [r[C.billed], r[C.billedRest]])).toEqual([
        [-1_000_000_000, 400],
        [999_000_000, 400],
        [999_999_999, 400],
        [1_000_000_000, -400],
      ]);
      expect(
        costTotals(
          prepareCostFrameSync(await repo.loadFrame(ORG, '2025-05-01', '2025-05-01', 'costs'), 'costs'),
        ),
      ).toMatchObject({ billed: 1_998_999_999.8, recordCount: 4 });
    } finally {
      await warehouse.query(
        `DELETE FROM ${config.orgDataset(ORG)}.${COST_TABLE} WHERE BilledCost > 998 OR BilledCost < -998`,
      );
    }
  });

  it.each(['costs', 'hierarchy'] as const)(
    'sums a %s group past 2^63 micro-units (9.2 trillion currency units) in floating point, as a frame of rows does',
    async (set) => {
      // Ten rows just under the import's cap on one day of one service: 1e19 micro-units.
      await warehouse.insertRows(
        { dataset: config.orgDataset(ORG), table: COST_TABLE },
        Array.from({ length: 10 }, () =>
          aFocusRow({ org: ORG, date: '2025-06-01', billedCost: 999_999_999_999.5 }),
        ),
      );
      try {
        const grouped = prepareCostFrameSync(await repo.loadFrame(ORG, '2025-06-01', '2025-06-01', set), set);
        const rows = prepareCostFrameSync(await repo.loadFrame(ORG, '2025-06-01', '2025-06-01', 'rows'));
        // A Float64 of 1e19 micro-units is exact to 2,048 of them (a fifth of a cent), either way.
        for (const billed of [costTotals(grouped).billed, costTotals(rows).billed])
          expect(Math.abs(billed - 9_999_999_999_995e6)).toBeLessThanOrEqual(2048);
        expect(costTotals(grouped).recordCount).toBe(10);
      } finally {
        await warehouse.query(`DELETE FROM ${config.orgDataset(ORG)}.${COST_TABLE} WHERE BilledCost > 1e11`);
      }
    },
  );

  it.each(['costs', 'hierarchy'] as const)(
    'keeps the rounding of a %s group from 9e18 to 2^63 micro-units, exact to the nano-unit, up to the last 512',
    async (set) => {
      const day = (date: string, costs: [string, number, number][]) =>
        costs.flatMap(([serviceName, billedCost, n]) =>
          Array.from({ length: n }, () => aFocusRow({ org: ORG, date, serviceName, billedCost })),
        );
      await warehouse.insertRows({ dataset: config.orgDataset(ORG), table: COST_TABLE }, [
        // 9.1e18 + 4,900 micro-units (a FLOAT64 of 9.1e18 + 5,120) less a credit of 9.1e18: 0.0049.
        ...day('2025-07-01', [
          ['Amazon EC2', 910_000_000_000, 10],
          ['Amazon EC2', 0.0049, 1],
          ['Amazon S3', -910_000_000_000, 10],
        ]),
        // 2^63 − 513 micro-units, the last sum whose FLOAT64 (2^63 − 1,024) casts to INT64.
        ...day('2025-07-02', [
          ['Amazon EC2', 999_999_999_999.9, 9],
          ['Amazon EC2', 223_372_036_855.6752, 1],
          ['Amazon EC2', 0.000095, 1],
        ]),
        // 2^63 − 100: a FLOAT64 of 2^63, past INT64, its rounding left out.
        ...day('2025-07-03', [
          ['Amazon EC2', 999_999_999_999.9, 9],
          ['Amazon EC2', 223_372_036_855.6757, 1],
          ['Amazon EC2', 0.000008, 1],
        ]),
      ]);
      try {
        const total = async (date: string) =>
          costTotals(prepareCostFrameSync(await repo.loadFrame(ORG, date, date, set), set)).billed;
        expect(await total('2025-07-01')).toBe(4900);
        const [last] = (await repo.loadFrame(ORG, '2025-07-02', '2025-07-02', set)).toRecords() as Record<
          string,
          number
        >[];
        expect([last![C.billed], last![C.billedRest]]).toEqual([2 ** 63 - 1024, 511_000]);
        expect(await total('2025-07-02')).toBe(2 ** 63 - 1024);
        expect(Math.abs((await total('2025-07-03')) - 2 ** 63)).toBeLessThanOrEqual(1024);
      } finally {
        await warehouse.query(
          `DELETE FROM ${config.orgDataset(ORG)}.${COST_TABLE} WHERE DATE(ChargePeriodStart) >= '2025-07-01'`,
        );
      }
    },
  );

  it('answers an org without a cost table with an empty frame of the same columns', async () => {
    const raw = await repo.loadFrame('no_such_org', '2025-03-01', '2025-03-31');
    expect(raw.height).toBe(0);
    expect(prepareCostFrameSync(raw).height).toBe(0);
    const narrow = await repo.loadFrame('no_such_org', '2025-03-01', '2025-03-31', 'costs');
    expect(prepareCostFrameSync(narrow, 'costs').height).toBe(0);
  });

  it('reads the profile settings cost reads depend on', async () => {
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_profiles' }, [
      {
        org_slug: ORG,
        company_name: 'Repo',
        admin_email: 'a@b.example',
        org_dataset_id: config.orgDataset(ORG),
        status: 'ACTIVE',
        default_currency: 'EUR',
        default_timezone: 'Europe/Paris',
        fiscal_year_start_month: 4,
        created_at: new Date(),
      },
    ]);
    expect(await repo.profile(ORG)).toEqual({
      default_currency: 'EUR',
      default_timezone: 'Europe/Paris',
      fiscal_year_start_month: 4,
    });
    expect(await repo.profile('missing_org')).toBeNull();
  });
});

describe('FOCUS row factories', () => {
  it('build rows with exactly the columns of cost_data_standard_1_3', () => {
    const columns = SchemaRegistry.load()
      .orgTable(COST_TABLE)
      .fields.map((f) => f.name)
      .sort();
    expect(Object.keys(aFocusRow({ provider: 'GCP', x_run_id: 'r-1' })).sort()).toEqual(columns);
    expect(columns).toHaveLength(101);
  });

  it('generate the same rows for the same options, within the given days', () => {
    const options = { org: 'gen_org', rows: 50, seed: 3, start: '2025-01-01', end: '2025-01-31' };
    const rows = generateFocusRows(options);
    expect(generateFocusRows(options)).toEqual(rows);
    expect(generateFocusRows({ ...options, seed: 4 })).not.toEqual(rows);
    const days = rows.map((r) => (r.ChargePeriodStart as Date).toISOString().slice(0, 10));
    expect(days.every((d) => d >= '2025-01-01' && d <= '2025-01-31')).toBe(true);
    expect(new Set(rows.map((r) => r.x_org_slug))).toEqual(new Set(['gen_org']));
  });
});
