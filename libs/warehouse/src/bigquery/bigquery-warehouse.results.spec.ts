import { startFakeBigQuery, type FakeBigQuery, type FakeField } from '#test/bigquery-server';
import { BigQueryWarehouse } from './bigquery-warehouse.js';

const FIELDS: FakeField[] = [
  { name: 'name', type: 'STRING' },
  { name: 'n', type: 'INT64' },
  { name: 'cost', type: 'FLOAT64' },
  { name: 'price', type: 'NUMERIC' },
  { name: 'big', type: 'BIGNUMERIC' },
  { name: 'ok', type: 'BOOL' },
  { name: 'at', type: 'TIMESTAMP' },
  { name: 'day', type: 'DATE' },
  { name: 'local', type: 'DATETIME' },
  { name: 'tags', type: 'JSON' },
  { name: 'raw', type: 'BYTES' },
  { name: 'labels', type: 'STRING', mode: 'REPEATED' },
  { name: 'seen', type: 'TIMESTAMP', mode: 'REPEATED' },
  {
    name: 'owner',
    type: 'STRUCT',
    fields: [
      { name: 'team', type: 'STRING' },
      { name: 'since', type: 'DATE' },
    ],
  },
];
const AT = new Date('2026-03-01T12:34:56.789Z');
const FULL = [
  'acme',
  9_007_199_254_740_991,
  12.25,
  '123.456',
  '0.000000000000000000000000000001',
  true,
  AT,
  '2026-03-01',
  '2026-03-01T08:00:00',
  { team: 'core', ids: [1, 2] },
  Buffer.from('hello'),
  ['a', 'b'],
  [AT],
  { team: 'platform', since: '2025-12-01' },
];
const EMPTY = ['', null, null, null, null, false, null, null, null, null, null, [], [], null];

describe('BigQueryWarehouse result normalisation', () => {
  let fake: FakeBigQuery;
  let wh: BigQueryWarehouse;

  beforeEach(async () => {
    fake = await startFakeBigQuery();
    fake.onQuery(() => fake.result(FIELDS, [FULL, EMPTY]));
    wh = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: fake.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await wh.close();
    await fake.close();
  });

  it('returns every type in the port contract from the f/v wire format', async () => {
    const [row] = await wh.query('SELECT *');
    expect(row).toEqual({
      name: 'acme',
      n: 9_007_199_254_740_991,
      cost: 12.25,
      price: 123.456,
      big: 1e-30,
      ok: true,
      at: AT,
      day: '2026-03-01',
      local: '2026-03-01T08:00:00',
      tags: { team: 'core', ids: [1, 2] },
      raw: Buffer.from('hello'),
      labels: ['a', 'b'],
      seen: [AT],
      owner: { team: 'platform', since: '2025-12-01' },
    });
    expect(row.at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(row.raw)).toBe(true);
  });

  it('returns NULLs as null and empty REPEATED columns as empty arrays', async () => {
    const [, row] = await wh.query('SELECT *');
    expect(row).toEqual({
      name: '',
      n: null,
      cost: null,
      price: null,
      big: null,
      ok: false,
      at: null,
      day: null,
      local: null,
      tags: null,
      raw: null,
      labels: [],
      seen: [],
      owner: null,
    });
  });

  it('reads TIMESTAMPs sent as int64 microseconds, having asked for them', async () => {
    await wh.query('SELECT *');
    expect(fake.requests[0].body).toMatchObject({ formatOptions: { useInt64Timestamp: true } });
  });

  it('turns float-second TIMESTAMPs into the same instant when a server ignores that request', async () => {
    const legacy = await startFakeBigQuery();
    legacy.onQuery(() => legacy.result([{ name: 'at', type: 'TIMESTAMP' }], [[AT]]));
    const client = new BigQueryWarehouse({ projectId: 'p', apiEndpoint: legacy.url });
    // The fake only sends micros when asked; strip the ask to get the float-seconds form.
    legacy.intercept((req) => {
      (req.body as { formatOptions?: unknown }).formatOptions = undefined;
      return undefined;
    });
    try {
      expect(await client.query('SELECT at')).toEqual([{ at: AT }]);
    } finally {
      await legacy.close();
    }
  });

  it('builds a typed Polars frame column by column with the same values', async () => {
    const frame = await wh.queryFrame('SELECT *');
    const dtypes = Object.fromEntries(frame.columns.map((c, i) => [c, String(frame.dtypes[i])]));
    expect(dtypes).toEqual({
      name: 'DataType(String)',
      n: 'DataType(Int64)',
      cost: 'DataType(Float64)',
      price: 'DataType(Float64)',
      big: 'DataType(Float64)',
      ok: 'DataType(Bool)',
      at: 'DataType(Datetime(ms,UTC))',
      day: 'DataType(String)',
      local: 'DataType(String)',
      tags: 'DataType(String)',
      raw: 'DataType(String)',
      labels: 'DataType(List(DataType(String)))',
      seen: 'DataType(List(DataType(Datetime(ms,UTC))))',
      owner: 'DataType(String)',
    });
    expect(frame.height).toBe(2);
    expect(frame.getColumn('n').toArray()).toEqual([9_007_199_254_740_991, null]);
    expect(frame.getColumn('cost').toArray()).toEqual([12.25, null]);
    expect(frame.getColumn('day').toArray()).toEqual(['2026-03-01', null]);
    expect(frame.getColumn('tags').toArray()).toEqual(['{"team":"core","ids":[1,2]}', null]);
    expect(frame.getColumn('raw').toArray()).toEqual(['aGVsbG8=', null]);
    expect(frame.getColumn('labels').toArray()).toEqual([['a', 'b'], []]);
    expect(frame.getColumn('owner').toArray()).toEqual(['{"team":"platform","since":"2025-12-01"}', null]);
    expect((frame.getColumn('at').toArray()[0] as unknown as Date).getTime()).toBe(AT.getTime());
  });

  it('returns the STRING columns asked for as Categorical with the same values', async () => {
    const frame = await wh.queryFrame('SELECT *', {}, { categorical: ['name', 'missing_column'] });
    expect(String(frame.getColumn('name').dtype)).toBe('DataType(Categorical)');
    expect(String(frame.getColumn('owner').dtype)).toBe('DataType(String)');
    const plain = await wh.queryFrame('SELECT *');
    expect(frame.getColumn('name').toArray()).toEqual(plain.getColumn('name').toArray());
  });

  it('builds an empty frame that keeps the result columns and types', async () => {
    fake.onQuery(() => fake.result([FIELDS[0], FIELDS[1], FIELDS[11]], []));
    const frame = await wh.queryFrame('SELECT name, n, labels LIMIT 0');
    expect(frame.height).toBe(0);
    expect(frame.columns).toEqual(['name', 'n', 'labels']);
    expect(frame.dtypes.map(String)).toEqual([
      'DataType(String)',
      'DataType(Int64)',
      'DataType(List(DataType(String)))',
    ]);
  });
});
