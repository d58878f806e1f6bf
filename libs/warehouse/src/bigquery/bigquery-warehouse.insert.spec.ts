import { startFakeBigQuery, type FakeBigQuery, type FakeQueryRequest } from '#test/bigquery-server';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import { BigQueryWarehouse } from './bigquery-warehouse.js';

const COSTS = { dataset: 'acme_prod', table: 'costs' };
/** The fake "inserts" as many rows as the statement has VALUES tuples (one per line). */
const countTuples = (req: FakeQueryRequest) => ({ dmlAffectedRows: req.sql.split('\n').length - 1 });

describe('BigQueryWarehouse insertRows', () => {
  let fake: FakeBigQuery;
  let wh: BigQueryWarehouse;
  let seen: FakeQueryRequest[];
  const inserts = () => fake.requests.filter((r) => r.path.endsWith('/queries'));
  const tableGets = () => fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/tables/costs'));

  beforeEach(async () => {
    fake = await startFakeBigQuery();
    fake.seedTable('acme_prod', 'costs', [
      { name: 'provider', type: 'STRING', mode: 'REQUIRED' },
      { name: 'cost', type: 'FLOAT64' },
      { name: 'units', type: 'INT64' },
      { name: 'day', type: 'DATE' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'tags', type: 'JSON' },
      { name: 'labels', type: 'STRING', mode: 'REPEATED' },
    ]);
    seen = [];
    fake.onQuery((req) => (seen.push(req), countTuples(req)));
    wh = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: fake.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await wh.close();
    await fake.close();
  });

  it('sends one DML INSERT with every cell a parameter typed from the table schema', async () => {
    const inserted = await wh.insertRows(COSTS, [
      {
        provider: 'aws',
        cost: 5,
        units: 3,
        day: '2026-01-31',
        at: new Date('2026-01-31T10:00:00Z'),
        tags: { team: 'core' },
        labels: ['a'],
      },
      { provider: 'gcp', cost: 1.25, day: null },
    ]);

    expect(inserted).toBe(2);
    const [req] = inserts();
    const body = req.body as { query: string };
    expect(body.query).toBe(
      'INSERT INTO `acme_prod.costs` (`provider`, `cost`, `units`, `day`, `at`, `tags`, `labels`)\n' +
        'VALUES (@r0_c0, @r0_c1, @r0_c2, @r0_c3, @r0_c4, @r0_c5, @r0_c6),\n' +
        '  (@r1_c0, @r1_c1, NULL, NULL, NULL, NULL, @r1_c6)',
    );
    expect(req.body).toMatchObject({ parameterMode: 'NAMED', useLegacySql: false });
    const decoded = Object.fromEntries(
      Object.entries(seen[0].params).map(([name, p]) => [name, `${p.type} ${JSON.stringify(p.value)}`]),
    );
    expect(decoded).toEqual({
      r0_c0: 'STRING "aws"',
      r0_c1: 'FLOAT64 5', // a whole number, still sent as the column's FLOAT64
      r0_c2: 'INT64 3',
      r0_c3: 'DATE "2026-01-31"',
      r0_c4: 'TIMESTAMP "2026-01-31T10:00:00.000Z"',
      r0_c5: 'JSON "{\\"team\\":\\"core\\"}"',
      r0_c6: 'ARRAY<STRING> ["a"]',
      r1_c0: 'STRING "gcp"',
      r1_c1: 'FLOAT64 1.25',
      r1_c6: 'ARRAY<STRING> []',
    });
  });

  it('sends JSON text given for a JSON column as that JSON, as the embedded warehouse stores it', async () => {
    // The cost import stages FOCUS Tags as the JSON text of the file. BigQuery parses a JSON
    // parameter's value: '{"env":"prod"}' is the object, while the text serialised once more is a
    // JSON string, which JSON_VALUE(Tags, '$.env') and Tags.env read as NULL.
    await wh.insertRows(COSTS, [
      { provider: 'aws', tags: '{"env":"prod","n":12345678901234567890}' },
      { provider: 'gcp', tags: { env: 'dev' } },
    ]);
    const params = seen[0].params;
    expect(params.r0_c1).toEqual({ type: 'JSON', value: '{"env":"prod","n":12345678901234567890}' });
    expect(params.r1_c1).toEqual({ type: 'JSON', value: '{"env":"dev"}' });
  });

  it('never uses the streaming insertAll API', async () => {
    await wh.insertRows(COSTS, [{ provider: 'aws' }]);
    expect(
      fake.requests.map((r) => `${r.method} ${r.path.replace('/bigquery/v2/projects/finops-test', '')}`),
    ).toEqual(['GET /datasets/acme_prod/tables/costs', 'POST /queries']);
  });

  it('splits inserts into statements of at most 500 rows and sums the counts', async () => {
    // Fewer rows than a load job takes (LOAD_MIN_ROWS: see bigquery-warehouse.load-rows.spec.ts).
    const rows = Array.from({ length: 900 }, (_, i) => ({ provider: `p${i}` }));
    expect(await wh.insertRows(COSTS, rows)).toBe(900);
    const statements = inserts().map(
      (r) => (r.body as { queryParameters: unknown[] }).queryParameters.length,
    );
    expect(statements).toEqual([500, 400]);
  });

  it('keeps each statement within BigQuery’s 10,000 parameters on wide rows', async () => {
    const fields = Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, type: 'STRING' }));
    fake.seedTable('acme_prod', 'wide', fields);
    const row = Object.fromEntries(fields.map((f) => [f.name, 'x']));
    expect(await wh.insertRows({ dataset: 'acme_prod', table: 'wide' }, Array(600).fill(row))).toBe(600);
    const statements = inserts().map(
      (r) => (r.body as { queryParameters: unknown[] }).queryParameters.length,
    );
    expect(statements).toEqual([250 * 40, 250 * 40, 100 * 40]);
  });

  it('keeps each request under BigQuery’s 10 MB request size when rows are large', async () => {
    // A CSV record may hold up to 1 MiB; 25 rows of half a MiB are 12.5 MB in one statement.
    const rows = Array.from({ length: 25 }, (_, i) => ({ provider: `${i}:`.padEnd(512 * 1024, 'x') }));
    expect(await wh.insertRows(COSTS, rows)).toBe(25);
    const sizes = inserts().map((r) => Buffer.byteLength(JSON.stringify(r.body)));
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(10 * 1024 * 1024);
    // Each statement names its own rows from r0, and every row arrives once, in order.
    for (const r of inserts()) expect((r.body as { query: string }).query).toContain('VALUES (@r0_c0)');
    const sent = seen.flatMap((q) => Object.values(q.params).map((p) => String(p.value).split(':')[0]));
    expect(sent).toEqual(rows.map((_, i) => String(i)));
  });

  it('reads the table schema once, and again after DDL on that table', async () => {
    await wh.insertRows(COSTS, [{ provider: 'aws' }]);
    await wh.insertRows(COSTS, [{ provider: 'gcp' }]);
    expect(tableGets()).toHaveLength(1);

    await wh.addColumns('acme_prod', 'costs', [{ name: 'region', type: 'STRING' }]);
    await wh.insertRows(COSTS, [{ provider: 'azure', region: 'eu' }]);
    expect(tableGets()).toHaveLength(3); // addColumns' own read, then insertRows' fresh one

    await wh.execute('ALTER TABLE `acme_prod.costs` ADD COLUMN zone STRING');
    await wh.insertRows(COSTS, [{ provider: 'oci' }]);
    expect(tableGets()).toHaveLength(4);
  });

  it('refuses a column the table does not have, sending nothing', async () => {
    const err = await wh.insertRows(COSTS, [{ provider: 'aws', nope: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as WarehouseError).code).toBe(WarehouseErrorCode.QueryFailed);
    expect(((err as WarehouseError).cause as Error).message).toBe(
      'insertRows: column nope is not in acme_prod.costs',
    );
    expect(inserts()).toHaveLength(0);
  });

  it('keeps row values BigQuery echoes in its error out of the cause', async () => {
    fake.onQuery(() => ({
      error: { code: 400, reason: 'invalidQuery', message: "Invalid DATE value 'sk-secret-day' in row 1" },
    }));
    const err = await wh
      .insertRows(COSTS, [{ provider: 'aws', day: 'sk-secret-day' }])
      .catch((e: unknown) => e);
    expect((err as WarehouseError).code).toBe(WarehouseErrorCode.QueryFailed);
    expect(((err as WarehouseError).cause as Error).message).toBe(
      "BigQuery jobs.query: HTTP 400 invalidQuery: Invalid DATE value '[param]' in row 1",
    );
  });

  it('raises WAREHOUSE_NOT_FOUND for a missing table', async () => {
    const err = await wh
      .insertRows({ dataset: 'acme_prod', table: 'gone' }, [{ a: 1 }])
      .catch((e: unknown) => e);
    expect((err as WarehouseError).code).toBe(WarehouseErrorCode.NotFound);
  });

  it('writes RECORD columns, REPEATED ones included, as STRUCT parameters typed from the schema', async () => {
    fake.seedTable('acme_prod', 'owned', [
      { name: 'id', type: 'INT64' },
      { name: 'owner', type: 'RECORD', fields: [{ name: 'team', type: 'STRING' }] },
      {
        name: 'labels',
        type: 'RECORD',
        mode: 'REPEATED',
        fields: [
          { name: 'key', type: 'STRING' },
          { name: 'since', type: 'DATE' },
        ],
      },
    ]);

    const rows = [
      { id: 1, owner: { team: 'core' }, labels: [{ key: 'env', since: '2026-01-31' }] },
      { id: 2 },
    ];
    expect(await wh.insertRows({ dataset: 'acme_prod', table: 'owned' }, rows)).toBe(2);

    const body = inserts()[0]!.body as { queryParameters: Array<Record<string, unknown>> };
    const byName = Object.fromEntries(body.queryParameters.map((p) => [p.name, p]));
    const labelsType = {
      type: 'ARRAY',
      arrayType: {
        type: 'STRUCT',
        structTypes: [
          { name: 'key', type: { type: 'STRING' } },
          { name: 'since', type: { type: 'DATE' } },
        ],
      },
    };
    expect(byName.r0_c1).toEqual({
      name: 'r0_c1',
      parameterType: { type: 'STRUCT', structTypes: [{ name: 'team', type: { type: 'STRING' } }] },
      parameterValue: { structValues: { team: { value: 'core' } } },
    });
    expect(byName.r0_c2).toEqual({
      name: 'r0_c2',
      parameterType: labelsType,
      parameterValue: {
        arrayValues: [{ structValues: { key: { value: 'env' }, since: { value: '2026-01-31' } } }],
      },
    });
    // A missing REPEATED RECORD is an empty array, as in the embedded warehouse.
    expect(byName.r1_c2).toEqual({
      name: 'r1_c2',
      parameterType: labelsType,
      parameterValue: { arrayValues: [] },
    });
  });

  it('sends nothing for no rows', async () => {
    expect(await wh.insertRows(COSTS, [])).toBe(0);
    expect(fake.requests).toHaveLength(0);
  });
});
