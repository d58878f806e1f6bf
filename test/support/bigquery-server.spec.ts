import { startFakeBigQuery, type FakeBigQuery } from './bigquery-server.js';

interface ApiBody {
  error?: { errors: { reason: string }[] };
  jobReference?: { jobId: string };
  queryId?: string;
  rows?: unknown[];
}

describe('fake BigQuery server', () => {
  let fake: FakeBigQuery;
  const api = (
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${fake.url}/bigquery/v2/projects/p/${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }).then(async (res) => ({
      status: res.status,
      body: (res.status === 204 ? {} : await res.json()) as ApiBody,
    }));

  beforeEach(async () => {
    fake = await startFakeBigQuery({ pageSize: 2 });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('answers unknown resources with 404 in BigQuery’s error format', async () => {
    expect(await api('datasets/nope')).toEqual({
      status: 404,
      body: {
        error: {
          code: 404,
          message: 'Not found: Dataset nope',
          errors: [{ message: 'Not found: Dataset nope', domain: 'global', reason: 'notFound' }],
          status: 'NOT_FOUND',
        },
      },
    });
  });

  it('answers a second insert of the same dataset with 409 duplicate', async () => {
    const insert = { method: 'POST', body: { datasetReference: { datasetId: 'ds' } } };
    expect((await api('datasets', insert)).status).toBe(200);
    const again = await api('datasets', insert);
    expect(again.status).toBe(409);
    expect(again.body.error?.errors[0].reason).toBe('duplicate');
  });

  it('refuses a table BigQuery cannot partition or cluster as asked, as tables.insert does', async () => {
    await api('datasets', { method: 'POST', body: { datasetReference: { datasetId: 'ds' } } });
    const fields = [
      { name: 'day', type: 'STRING' },
      { name: 'cost', type: 'FLOAT64' },
      { name: 'tags', type: 'STRING', mode: 'REPEATED' },
      { name: 'at', type: 'TIMESTAMP' },
    ];
    const insert = (id: string, extra: object, schema: object[] = fields) =>
      api('datasets/ds/tables', {
        method: 'POST',
        body: { tableReference: { tableId: id }, schema: { fields: schema }, ...extra },
      });
    const refused = async (id: string, extra: object, schema?: object[]) => {
      const res = await insert(id, extra, schema);
      return `${res.status} ${res.body.error?.errors[0].reason}`;
    };
    expect(await refused('p', { timePartitioning: { type: 'DAY', field: 'day' } })).toBe('400 invalid');
    expect(await refused('c1', { clustering: { fields: ['cost'] } })).toBe('400 invalid');
    expect(await refused('c2', { clustering: { fields: ['tags'] } })).toBe('400 invalid');
    expect(await refused('c3', { clustering: { fields: ['day', 'at', 'day', 'at', 'day'] } })).toBe(
      '400 invalid',
    );
    expect(await refused('d', {}, [...fields, { name: 'COST', type: 'INT64' }])).toBe('400 invalid');
    const ok = { timePartitioning: { type: 'DAY', field: 'at' }, clustering: { fields: ['day', 'at'] } };
    expect((await insert('t', ok)).status).toBe(200);
  });

  it('records method, path, query string, JSON body and headers of every request', async () => {
    await api('queries?prettyPrint=false', {
      method: 'POST',
      body: { query: 'SELECT 1' },
      headers: { 'x-t': '1' },
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/bigquery/v2/projects/p/queries',
      query: { prettyPrint: 'false' },
      body: { query: 'SELECT 1' },
      headers: { 'x-t': '1' },
    });
  });

  it('encodes results to f/v with legacy type names and pages them', async () => {
    fake.onQuery(() =>
      fake.result(
        [
          { name: 'n', type: 'INT64' },
          { name: 'ok', type: 'BOOL' },
        ],
        [
          [1, true],
          [2, false],
          [3, null],
        ],
      ),
    );
    const first = await api('queries', {
      method: 'POST',
      body: { query: 'SELECT', jobCreationMode: 'JOB_CREATION_OPTIONAL' },
    });
    expect(first.body).toMatchObject({
      jobComplete: true,
      schema: {
        fields: [
          { name: 'n', type: 'INTEGER', mode: 'NULLABLE' },
          { name: 'ok', type: 'BOOLEAN', mode: 'NULLABLE' },
        ],
      },
      rows: [{ f: [{ v: '1' }, { v: 'true' }] }, { f: [{ v: '2' }, { v: 'false' }] }],
      totalRows: '3',
      pageToken: 'page-2',
    });
    const next = await api(`queries/${first.body.jobReference?.jobId}?pageToken=page-2`);
    expect(next.body.rows).toEqual([{ f: [{ v: '3' }, { v: null }] }]);
    expect(next.body).not.toHaveProperty('pageToken');
  });

  it('answers an optional-job query that fits one page with a queryId and no job', async () => {
    const res = await api('queries', {
      method: 'POST',
      body: { query: 'SELECT', jobCreationMode: 'JOB_CREATION_OPTIONAL' },
    });
    expect(res.body.queryId).toMatch(/^job_/);
    expect(res.body).not.toHaveProperty('jobReference');
  });

  it('holds a slow answer only for the request’s timeoutMs, then reports the job incomplete', async () => {
    fake.onQuery(() => ({ delayMs: 10_000 }));
    const started = Date.now();
    const res = await api('queries', { method: 'POST', body: { query: 'SELECT', timeoutMs: 100 } });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(res.body).toMatchObject({ jobComplete: false, jobReference: { projectId: 'p', location: 'US' } });
  });

  it('returns numDmlAffectedRows for DML answers', async () => {
    fake.onQuery(() => ({ dmlAffectedRows: 4 }));
    const res = await api('queries', { method: 'POST', body: { query: 'DELETE' } });
    expect(res.body).toMatchObject({ jobComplete: true, numDmlAffectedRows: '4' });
  });
});
