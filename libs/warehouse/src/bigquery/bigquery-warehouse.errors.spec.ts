import { inspect } from 'node:util';
import { startFakeBigQuery } from '#test/bigquery-server';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import { BigQueryWarehouse } from './bigquery-warehouse.js';
import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';

async function failure(promise: Promise<unknown>): Promise<WarehouseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WarehouseError);
  return err as WarehouseError;
}

describe('BigQueryWarehouse error mapping', () => {
  const bq = fakeBigQueryEach();

  it('raises WAREHOUSE_TIMEOUT when the job outlives the query timeout, and cancels the job', async () => {
    bq.fake.onQuery(() => ({ delayMs: 5_000, ...bq.fake.result([{ name: 'n', type: 'INT64' }], [[1]]) }));
    const started = Date.now();

    const err = await failure(bq.wh.query('SELECT slow()', {}, { timeoutMs: 300 }));

    expect(err.code).toBe(WarehouseErrorCode.Timeout);
    expect(err.extra).toEqual({ timeout_ms: 300 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(bq.fake.requests[0].body).toMatchObject({ timeoutMs: 300, jobTimeoutMs: '300' });
    const cancel = bq.fake.requests.at(-1);
    expect(cancel?.method).toBe('POST');
    expect(cancel?.path).toMatch(/^\/bigquery\/v2\/projects\/finops-test\/jobs\/job_\w+\/cancel$/);
    expect(cancel?.query).toMatchObject({ location: 'EU' });
  });

  it('waits on getQueryResults for a slow job that still finishes in time', async () => {
    bq.fake.onQuery(() => ({ delayMs: 400, ...bq.fake.result([{ name: 'n', type: 'INT64' }], [[1]]) }));
    const slowWait = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: bq.fake.url });
    // jobs.query holds the answer for the whole timeout; the fake honours it, so shorten it by
    // letting the first answer come back incomplete after 100 ms.
    bq.fake.intercept((req) => {
      if (req.method === 'POST') (req.body as { timeoutMs: number }).timeoutMs = 100;
      return undefined;
    });
    expect(await slowWait.query('SELECT n', {}, { timeoutMs: 3_000 })).toEqual([{ n: 1 }]);
    const get = bq.fake.requests.find((r) => r.method === 'GET');
    expect(Number(get?.query.timeoutMs)).toBeGreaterThan(2_000);
    expect(bq.fake.requests.some((r) => r.path.endsWith('/cancel'))).toBe(false);
  });

  it('raises WAREHOUSE_TIMEOUT for a job BigQuery itself stopped at jobTimeoutMs', async () => {
    bq.fake.onQuery(() => ({ error: { code: 400, reason: 'timeout', message: 'Job timed out after 1s' } }));
    expect((await failure(bq.wh.query('SELECT 1'))).code).toBe(WarehouseErrorCode.Timeout);
  });

  it('raises WAREHOUSE_BYTES_LIMIT_EXCEEDED on the billing cap', async () => {
    bq.fake.onQuery(() => ({
      error: {
        code: 400,
        reason: 'bytesBilledLimitExceeded',
        message: 'Query exceeded limit for bytes billed: 1000. 10485760 or higher required.',
      },
    }));
    const err = await failure(bq.wh.query('SELECT * FROM `ds.big`', {}, { maximumBytesBilled: 1000 }));
    expect(err.code).toBe(WarehouseErrorCode.BytesLimitExceeded);
    expect(err.detail).toBe('The warehouse query would scan more data than it is allowed to bill.');
  });

  it('raises WAREHOUSE_NOT_FOUND on a 404', async () => {
    bq.fake.onQuery(() => ({
      error: {
        code: 404,
        reason: 'notFound',
        message: 'Not found: Table finops-test:ds.gone was not found in location EU',
      },
    }));
    const err = await failure(bq.wh.query('SELECT * FROM `ds.gone`'));
    expect(err.code).toBe(WarehouseErrorCode.NotFound);
    expect((err.cause as Error).message).toBe(
      'BigQuery jobs.query: HTTP 404 notFound: Not found: Table finops-test:ds.gone was not found in location EU',
    );
  });

  it('raises WAREHOUSE_UNAVAILABLE on a 500, after the configured number of attempts', async () => {
    bq.fake.onQuery(() => ({ error: { code: 500, reason: 'backendError', message: 'Backend error' } }));
    expect((await failure(bq.wh.query('SELECT 1'))).code).toBe(WarehouseErrorCode.Unavailable);
    expect(bq.fake.requests).toHaveLength(1);
  });

  it.each(['jobBackendError', 'jobInternalError'])(
    'raises WAREHOUSE_UNAVAILABLE for a job that failed inside BigQuery (HTTP 400 %s), not a failed query',
    async (reason) => {
      // BigQuery's error table: the job was created but failed internally; retry it with a new job.
      bq.fake.onQuery(() => ({
        error: { code: 400, reason, message: 'Retrying the job may solve the problem.' },
      }));
      const err = await failure(bq.wh.query('SELECT 1'));
      expect(err.code).toBe(WarehouseErrorCode.Unavailable);
      expect((err.cause as Error).message).toBe(
        `BigQuery jobs.query: HTTP 400 ${reason}: Retrying the job may solve the problem.`,
      );
    },
  );

  describe('a DML statement that lost to a concurrent one on its table', () => {
    // As BigQuery fails it, after its own retries: the job as a whole, nothing written.
    const conflict = {
      error: {
        code: 400,
        reason: 'invalidQuery',
        message:
          'Could not serialize access to table finops-test:organizations.org_profiles due to concurrent update',
      },
    };
    const update = 'UPDATE `organizations.org_profiles` SET status = @s WHERE org_slug = @org';

    it('runs again until it applies, as on the embedded warehouse', async () => {
      let calls = 0;
      bq.fake.onQuery(() => (++calls < 3 ? conflict : { dmlAffectedRows: 1 }));
      expect(await bq.wh.execute(update, { s: 'ACTIVE', org: 'acme' })).toBe(1);
      expect(bq.fake.requests.filter((r) => r.path.endsWith('/queries'))).toHaveLength(3);
    });

    it('raises WAREHOUSE_UNAVAILABLE (try again), not a failed query, when it keeps losing', async () => {
      bq.fake.onQuery(() => conflict);
      const err = await failure(bq.wh.execute(update, { s: 'ACTIVE', org: 'acme' }));
      expect(err.code).toBe(WarehouseErrorCode.Unavailable);
      expect(bq.fake.requests.filter((r) => r.path.endsWith('/queries'))).toHaveLength(4);
    });

    it('is not run again for any other failure', async () => {
      bq.fake.onQuery(() => ({ error: { code: 400, reason: 'invalidQuery', message: 'Syntax error' } }));
      expect((await failure(bq.wh.execute(update, { s: 'x', org: 'acme' }))).code).toBe(
        WarehouseErrorCode.QueryFailed,
      );
      expect(bq.fake.requests).toHaveLength(1);
    });
  });

  it('raises WAREHOUSE_UNAVAILABLE (try again later) for DML over rows still in the streaming buffer', async () => {
    // Rows another writer streamed minutes ago: BigQuery refuses DML on them until it flushes them.
    bq.fake.onQuery(() => ({
      error: {
        code: 400,
        reason: 'invalidQuery',
        message:
          'UPDATE or DELETE statement over table finops-test.organizations.org_meta_pipeline_runs would ' +
          'affect rows in the streaming buffer, which is not supported',
      },
    }));
    const err = await failure(bq.wh.execute('DELETE FROM `organizations.org_meta_pipeline_runs` WHERE TRUE'));
    expect(err.code).toBe(WarehouseErrorCode.Unavailable);
  });

  it('raises WAREHOUSE_UNAVAILABLE when nothing listens at the endpoint', async () => {
    const gone = await startFakeBigQuery();
    await gone.close();
    const offline = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: gone.url, maxRetries: 0 });
    const err = await failure(offline.query('SELECT 1'));
    expect(err.code).toBe(WarehouseErrorCode.Unavailable);
    expect((err.cause as Error).message).toBe('BigQuery jobs.query: ECONNREFUSED: network failure');
  });

  it('raises WAREHOUSE_UNAVAILABLE for a failing metadata call too', async () => {
    bq.fake.intercept(() => ({ code: 503, reason: 'backendError', message: 'try later' }));
    expect((await failure(bq.wh.describeTable('ds', 't'))).code).toBe(WarehouseErrorCode.Unavailable);
  });

  it('raises WAREHOUSE_QUERY_FAILED for other errors without parameters or the token in any message', async () => {
    bq.fake.onQuery(() => ({
      error: { code: 400, reason: 'invalidQuery', message: 'Invalid value for org: sk-live-123456 at [1:8]' },
    }));
    const err = await failure(bq.wh.query('SELECT @org', { org: 'sk-live-123456' }));

    expect(err.code).toBe(WarehouseErrorCode.QueryFailed);
    expect(err.detail).toBe('The warehouse query failed.');
    expect((err.cause as Error).message).toBe(
      'BigQuery jobs.query: HTTP 400 invalidQuery: Invalid value for org: [param] at [1:8]',
    );
    const everything = inspect(err, { depth: 10, showHidden: true });
    expect(everything).not.toContain('sk-live-123456');
    expect(everything).not.toContain('local-fake-token');
    expect(everything).not.toContain('SELECT @org');
  });
});
