import { status } from '@grpc/grpc-js';
import pl from 'nodejs-polars';
import { anonymousTable, startFakeBigQuery, type FakeBigQuery, type FakeField } from '#test/bigquery-server';
import { startFakeBigQueryStorage, type FakeStorageRead } from '#test/bigquery-storage-server';
import { BigQueryWarehouse } from './bigquery-warehouse.js';

/** The column types the Storage Read API path carries, as a cost frame has them. */
const FIELDS: FakeField[] = [
  { name: 'provider', type: 'STRING' },
  { name: 'n', type: 'INTEGER' },
  { name: 'rate', type: 'FLOAT' },
  { name: 'cost', type: 'NUMERIC' },
  { name: 'ok', type: 'BOOLEAN' },
  { name: 'at', type: 'TIMESTAMP' },
  { name: 'day', type: 'DATE' },
];
const ROWS: unknown[][] = Array.from({ length: 7 }, (_, i) => [
  i % 3 === 2 ? null : ['AWS', 'GCP', 'Azure'][i % 3],
  i === 4 ? null : i * 1_000_000_007,
  i / 8,
  i === 1 ? null : `${i}.123456789`,
  i % 2 === 0,
  new Date(Date.UTC(2026, 2, i + 1, 12, 30, 15, 250)),
  i === 6 ? null : `2026-03-0${i + 1}`,
]);
const SQL = 'SELECT provider, n, rate, cost, ok, at, day FROM costs ORDER BY at';

const dtypes = (frame: pl.DataFrame) => frame.columns.map((c) => String(frame.getColumn(c).dtype));

describe('BigQueryWarehouse frames through the Storage Read API', () => {
  let fake: FakeBigQuery;
  let storage: FakeStorageRead;
  let wh: BigQueryWarehouse;
  /** The same fake without a Storage endpoint: frames from the REST pages, the reference. */
  let rest: BigQueryWarehouse;
  let fallbacks: unknown[];

  beforeEach(async () => {
    // Three rows a page: every result here is longer than its first page.
    fake = await startFakeBigQuery({ pageSize: 3 });
    storage = await startFakeBigQueryStorage(fake);
    fake.onQuery(() => fake.result(FIELDS, ROWS));
    fallbacks = [];
    wh = new BigQueryWarehouse({
      projectId: 'finops-test',
      apiEndpoint: fake.url,
      storageApiEndpoint: storage.endpoint,
      maxRetries: 0,
      onStorageFallback: (e) => fallbacks.push(e),
    });
    rest = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: fake.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await wh.close();
    await rest.close();
    await storage.close();
    await fake.close();
  });

  const pagesAfterTheFirst = () =>
    fake.requests.filter((r) => r.method === 'GET' && /\/queries\//.test(r.path) && r.query.pageToken).length;

  it('reads a result longer than a page as Arrow from the job’s destination table, in order', async () => {
    const frame = await wh.queryFrame(SQL);
    fake.requests.length = 0;
    const reference = await rest.queryFrame(SQL);
    expect(pagesAfterTheFirst()).toBeGreaterThan(0);

    expect(frame.toRecords()).toEqual(reference.toRecords());
    expect(dtypes(frame)).toEqual(dtypes(reference));
    expect(dtypes(frame)).toEqual(
      [pl.String, pl.Int64, pl.Float64, pl.Float64, pl.Bool, pl.Datetime('ms', 'UTC'), pl.String].map(String),
    );
    expect(frame.getColumn('cost').toArray()[2]).toBeCloseTo(2.123456789, 9);
    expect(frame.getColumn('day').toArray().slice(0, 2)).toEqual(['2026-03-01', '2026-03-02']);

    expect(storage.sessions).toHaveLength(1);
    expect(storage.sessions[0]).toMatchObject({
      parent: 'projects/finops-test',
      table: expect.stringMatching(
        new RegExp(`^projects/finops-test/datasets/${anonymousTable('').datasetId}/tables/anon_job_\\w+$`),
      ),
      dataFormat: 'ARROW',
      maxStreamCount: 1,
    });
    expect(storage.reads).toHaveLength(1);
    expect(fallbacks).toEqual([]);
  });

  it('does not page through REST when it reads through the Storage Read API', async () => {
    await wh.queryFrame(SQL);
    expect(pagesAfterTheFirst()).toBe(0);
  });

  it('refuses a result of more rows than maxRows from its first page, before reading the rest', async () => {
    const refused = await wh.queryFrame(SQL, {}, { maxRows: 6 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'WAREHOUSE_RESULT_TOO_LARGE', extra: { max_rows: 6 } });
    expect(storage.sessions).toHaveLength(0);
    expect(pagesAfterTheFirst()).toBe(0);
    expect((await wh.queryFrame(SQL, {}, { maxRows: 7 })).height).toBe(7);
  });

  it('keeps the text columns asked for as Categorical', async () => {
    const frame = await wh.queryFrame(SQL, {}, { categorical: ['provider'] });
    expect(String(frame.getColumn('provider').dtype)).toBe(String(pl.Categorical));
    expect(frame.getColumn('provider').toArray()).toEqual(ROWS.map((r) => r[0]));
  });

  it('decodes a result that fits its first page without a read session', async () => {
    fake.onQuery(() => fake.result(FIELDS, ROWS.slice(0, 2)));
    const frame = await wh.queryFrame(SQL);
    expect(frame.height).toBe(2);
    expect(storage.sessions).toEqual([]);
  });

  it('pages through REST for columns without an Arrow form here (REPEATED, JSON)', async () => {
    const fields: FakeField[] = [
      { name: 'labels', type: 'STRING', mode: 'REPEATED' },
      { name: 'tags', type: 'JSON' },
    ];
    fake.onQuery(() =>
      fake.result(
        fields,
        Array.from({ length: 5 }, (_, i) => [[`l${i}`], { i }]),
      ),
    );
    const frame = await wh.queryFrame('SELECT labels, tags FROM t');
    expect(frame.height).toBe(5);
    expect(frame.getColumn('tags').toArray()[4]).toBe('{"i":4}');
    expect(storage.sessions).toEqual([]);
    expect(pagesAfterTheFirst()).toBeGreaterThan(0);
  });

  it('falls back to the REST pages when the Storage Read API refuses (a missing role), says so once, and rests', async () => {
    storage.fail(status.PERMISSION_DENIED);
    const frame = await wh.queryFrame(SQL);
    const reference = await rest.queryFrame(SQL);
    expect(frame.toRecords()).toEqual(reference.toRecords());
    expect(fallbacks).toHaveLength(1);
    expect(String(fallbacks[0])).toMatch(/PERMISSION_DENIED|readsessions/);
    // The next frames do not ask again for a while.
    expect((await wh.queryFrame(SQL)).toRecords()).toEqual(reference.toRecords());
    expect(storage.sessions).toHaveLength(1);
    expect(fallbacks).toHaveLength(1);
  });

  it('falls back at once when the stream fails, without retrying it', async () => {
    storage.failReads(status.UNAVAILABLE);
    const frame = await wh.queryFrame(SQL);
    expect(frame.toRecords()).toEqual((await rest.queryFrame(SQL)).toRecords());
    expect(storage.reads).toHaveLength(1);
    expect(fallbacks).toHaveLength(1);
    // A transient failure does not switch the Storage path off.
    storage.failReads(undefined);
    await wh.queryFrame(SQL);
    expect(storage.sessions).toHaveLength(2);
    expect(fallbacks).toHaveLength(1);
  });

  it('keeps every digit of an INT64 past 2^53, as the REST decode and the embedded warehouse do', async () => {
    const fields: FakeField[] = [{ name: 'n', type: 'INTEGER' }];
    fake.onQuery(() => fake.result(fields, [[1], [2], [3], [-(2n ** 60n) - 1n], [2n ** 60n + 1n]]));
    const digits = (frame: pl.DataFrame) => frame.getColumn('n').cast(pl.Utf8).toArray();
    const expected = ['1', '2', '3', String(-(2n ** 60n) - 1n), String(2n ** 60n + 1n)];
    const frame = await wh.queryFrame('SELECT n FROM t');
    expect(String(frame.getColumn('n').dtype)).toBe(String(pl.Int64));
    expect(digits(frame)).toEqual(expected);
    expect(digits(await rest.queryFrame('SELECT n FROM t'))).toEqual(expected);
    expect(storage.sessions).toHaveLength(1);
  });
});
