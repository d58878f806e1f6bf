import net from 'node:net';
import { startFakeBigQuery, type FakeBigQuery, type RecordedRequest } from '#test/bigquery-server';
import { BigQueryWarehouse } from './bigquery-warehouse.js';
import { createBigQueryClientOptions, staticAuthClient } from './bigquery-client-options.js';
import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';

const queryCalls = (fake: FakeBigQuery): RecordedRequest[] =>
  fake.requests.filter((r) => r.method === 'POST' && r.path === '/bigquery/v2/projects/finops-test/queries');
const body = (r: RecordedRequest | undefined) => r?.body as Record<string, unknown>;

describe('BigQueryWarehouse query requests', () => {
  const bq = fakeBigQueryEach();

  it('sends one jobs.query with the SQL, named parameters, standard SQL and optional job creation', async () => {
    await bq.wh.query('SELECT * FROM `ds.costs` WHERE org_slug = @org', { org: 'acme' });

    expect(bq.fake.requests).toHaveLength(1);
    expect(bq.fake.requests[0].query).toEqual({ prettyPrint: 'false' });
    expect(body(queryCalls(bq.fake)[0])).toMatchObject({
      query: 'SELECT * FROM `ds.costs` WHERE org_slug = @org',
      useLegacySql: false,
      parameterMode: 'NAMED',
      queryParameters: [
        { name: 'org', parameterType: { type: 'STRING' }, parameterValue: { value: 'acme' } },
      ],
      jobCreationMode: 'JOB_CREATION_OPTIONAL',
      location: 'EU',
      formatOptions: { useInt64Timestamp: true },
    });
  });

  it('sends the default timeout as both the answer wait and the job timeout', async () => {
    await bq.wh.query('SELECT 1');
    const sent = body(queryCalls(bq.fake)[0]);
    expect(sent.timeoutMs).toBe(30_000);
    expect(sent.jobTimeoutMs).toBe('30000');
    expect(sent).not.toHaveProperty('maximumBytesBilled');
    expect(sent).not.toHaveProperty('parameterMode');
  });

  it('sends the per-query timeout, bytes cap and labels over the configured defaults', async () => {
    const capped = new BigQueryWarehouse({
      projectId: 'finops-test',
      apiEndpoint: bq.fake.url,
      defaultTimeoutMs: 9_000,
      maximumBytesBilled: 1_000_000,
    });
    await capped.query('SELECT 1');
    await capped.query(
      'SELECT 2',
      {},
      { timeoutMs: 1_500, maximumBytesBilled: 5_000, labels: { org: 'acme' } },
    );

    const [first, second] = queryCalls(bq.fake).map(body);
    expect(first).toMatchObject({ timeoutMs: 9_000, jobTimeoutMs: '9000', maximumBytesBilled: '1000000' });
    expect(first).not.toHaveProperty('location');
    expect(second).toMatchObject({
      timeoutMs: 1_500,
      jobTimeoutMs: '1500',
      maximumBytesBilled: '5000',
      labels: { org: 'acme' },
    });
  });

  it('authorises every request with the static fake token and connects to no other host', async () => {
    const targets: string[] = [];
    const connect = net.Socket.prototype.connect;
    // Socket.connect has many overloads; the spy only reads the target and forwards the call.
    const spy = vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (
      this: net.Socket,
      ...args: unknown[]
    ) {
      const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { host?: string; port?: number };
      targets.push(`${first.host ?? 'localhost'}:${first.port}`);
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    });
    try {
      const fresh = new BigQueryWarehouse({
        projectId: 'finops-test',
        apiEndpoint: bq.fake.url,
        maxRetries: 0,
      });
      await fresh.query('SELECT 1');
      await fresh.datasetExists('ds');
    } finally {
      spy.mockRestore();
    }

    expect(bq.fake.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer local-fake-token',
      'Bearer local-fake-token',
    ]);
    expect(new Set(targets)).toEqual(new Set([bq.fake.url.replace('http://', '')]));
  });

  it('uses a given auth client instead of the fake token', async () => {
    const own = new BigQueryWarehouse({
      projectId: 'finops-test',
      apiEndpoint: bq.fake.url,
      authClient: staticAuthClient('ci-token'),
    });
    await own.ping();
    expect(bq.fake.requests[0].headers.authorization).toBe('Bearer ci-token');
    expect(body(bq.fake.requests[0])).toMatchObject({ query: 'SELECT 1', timeoutMs: 5_000 });
  });

  it('follows page tokens through getQueryResults until every row is read', async () => {
    const paged = await startFakeBigQuery({ pageSize: 2 });
    paged.onQuery(() => paged.result([{ name: 'n', type: 'INT64' }], [[1], [2], [3], [4], [5]]));
    const reader = new BigQueryWarehouse({
      projectId: 'finops-test',
      location: 'EU',
      apiEndpoint: paged.url,
    });
    try {
      const rows = await reader.query('SELECT n FROM UNNEST(GENERATE_ARRAY(1, 5)) AS n');

      expect(rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
      const gets = paged.requests.filter((r) => r.method === 'GET');
      expect(gets.map((r) => r.query.pageToken)).toEqual(['page-2', 'page-4']);
      expect(gets[0].path).toMatch(/^\/bigquery\/v2\/projects\/finops-test\/queries\/job_\w+$/);
      expect(gets[0].query).toMatchObject({ location: 'EU', 'formatOptions.useInt64Timestamp': 'true' });
    } finally {
      await paged.close();
    }
  });

  it('answers a single-page result without any follow-up request', async () => {
    bq.fake.onQuery(() => bq.fake.result([{ name: 'ok', type: 'BOOL' }], [[true]]));
    expect(await bq.wh.query('SELECT TRUE AS ok')).toEqual([{ ok: true }]);
    expect(bq.fake.requests).toHaveLength(1);
  });

  it('returns the affected row count of a DML statement', async () => {
    bq.fake.onQuery((req) => ({ dmlAffectedRows: req.sql.startsWith('UPDATE') ? 7 : 0 }));
    const affected = await bq.wh.execute('UPDATE `ds.t` SET x = @x WHERE TRUE', { x: 1 });
    expect(affected).toBe(7);
  });

  it('returns 0 affected rows for DDL', async () => {
    expect(await bq.wh.execute('CREATE SCHEMA IF NOT EXISTS `x`')).toBe(0);
  });
});

describe('createBigQueryClientOptions', () => {
  it('gives a local endpoint a static token, and production none (default credentials)', async () => {
    const local = createBigQueryClientOptions({ projectId: 'p', apiEndpoint: 'http://127.0.0.1:9050' });
    const headers = await (local.authClient as ReturnType<typeof staticAuthClient>).getRequestHeaders();
    expect(headers.get('authorization')).toBe('Bearer local-fake-token');
    expect(createBigQueryClientOptions({ projectId: 'p', location: 'EU' })).toEqual({
      projectId: 'p',
      location: 'EU',
    });
  });

  it('turns maxRetries 0 into autoRetry off, since the library reads 0 as its default 3', () => {
    expect(createBigQueryClientOptions({ projectId: 'p', maxRetries: 0 }).retryOptions).toEqual({
      autoRetry: false,
    });
    expect(createBigQueryClientOptions({ projectId: 'p', maxRetries: 2 }).retryOptions).toEqual({
      maxRetries: 2,
    });
  });
});
