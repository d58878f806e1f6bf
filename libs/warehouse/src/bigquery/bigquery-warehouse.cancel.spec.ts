import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WarehouseError, WarehouseErrorCode, writeOutcomeUnknown } from '../warehouse.errors.js';
import { BigQueryWarehouse } from './bigquery-warehouse.js';
import { fakeBigQueryEach } from '#test/bigquery-test-warehouse';

/**
 * A write past its deadline is cancelled, but a cancel is only a request: a job that ends before
 * it takes effect commits. The driver reads the job's final state rather than assume the cancel won.
 */
describe('BigQueryWarehouse cancelling a write past its deadline', () => {
  const bq = fakeBigQueryEach();
  const MERGE = 'MERGE `ds.costs` T USING `ds.stage` S ON FALSE WHEN NOT MATCHED THEN INSERT ROW';

  const requestsTo = (suffix: RegExp) => bq.fake.requests.filter((r) => suffix.test(r.path));

  it('answers the rows written when the job commits just as it is cancelled', async () => {
    bq.fake.onQuery(() => ({ dmlAffectedRows: 7, delayMs: 500, cancelLagMs: 2_000 }));

    await expect(bq.wh.execute(MERGE, {}, { timeoutMs: 300 })).resolves.toBe(7);

    expect(requestsTo(/\/jobs\/job_\w+\/cancel$/)).toHaveLength(1);
    const gets = requestsTo(/\/jobs\/job_\w+$/);
    expect(gets.length).toBeGreaterThanOrEqual(1);
    expect(gets[0].query).toMatchObject({ location: 'EU' });
  });

  it('raises WAREHOUSE_TIMEOUT, the write known not applied, when the cancel stops the job', async () => {
    bq.fake.onQuery(() => ({ dmlAffectedRows: 7, delayMs: 5_000, cancelLagMs: 300 }));

    const err = await bq.wh.execute(MERGE, {}, { timeoutMs: 300 }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WarehouseError);
    expect(err).toMatchObject({ code: WarehouseErrorCode.Timeout, extra: { timeout_ms: 300 } });
    expect(writeOutcomeUnknown(err)).toBe(false);
  });

  it('marks the outcome unknown when the cancelled job is not seen to end', async () => {
    bq.fake.onQuery(() => ({ dmlAffectedRows: 7, delayMs: 60_000, cancelLagMs: 60_000 }));

    const err = await bq.wh.execute(MERGE, {}, { timeoutMs: 300 }).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: WarehouseErrorCode.Timeout,
      extra: { timeout_ms: 300, write_outcome: 'unknown' },
    });
    expect(writeOutcomeUnknown(err)).toBe(true);
  }, 20_000);

  it('marks the outcome unknown when jobs.query itself goes unanswered (no job to read)', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const unanswered = new BigQueryWarehouse({
      projectId: 'finops-test',
      apiEndpoint: `http://127.0.0.1:${port}`,
      maxRetries: 0,
    });
    try {
      const err = await unanswered.execute(MERGE, {}, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(writeOutcomeUnknown(err)).toBe(true);
      const read = await unanswered.query('SELECT 1', {}, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(read).toMatchObject({ code: WarehouseErrorCode.Timeout, extra: { timeout_ms: 300 } });
    } finally {
      await unanswered.close();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 15_000);

  describe('a poll of a running write that fails in transit (the job runs on)', () => {
    /** Starts the write's job, then drops every getQueryResults; jobs.get answers `state`. */
    async function droppingPolls(state: () => object) {
      const requests: string[] = [];
      const server = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://fake').pathname;
        requests.push(`${req.method} ${path}`);
        if (req.method === 'GET' && path.endsWith('/queries/job_1')) return req.socket.destroy();
        const body = path.endsWith('/queries')
          ? { jobComplete: false, jobReference: { projectId: 'finops-test', jobId: 'job_1', location: 'EU' } }
          : req.method === 'GET' && path.endsWith('/jobs/job_1')
            ? state()
            : {};
        req.resume();
        req.on('end', () => res.setHeader('content-type', 'application/json').end(JSON.stringify(body)));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const warehouse = new BigQueryWarehouse({
        projectId: 'finops-test',
        apiEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        maxRetries: 0,
      });
      const close = async () => {
        await warehouse.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      };
      return { warehouse, requests, close };
    }

    it('marks the outcome unknown when the job is not seen to end', async () => {
      const { warehouse, requests, close } = await droppingPolls(() => ({ status: { state: 'RUNNING' } }));
      try {
        const err = await warehouse.execute(MERGE, {}, { timeoutMs: 60_000 }).catch((e: unknown) => e);
        expect(err).toMatchObject({
          code: WarehouseErrorCode.Unavailable,
          extra: { write_outcome: 'unknown' },
        });
        expect(writeOutcomeUnknown(err)).toBe(true);
        expect(requests.filter((r) => r.endsWith('/jobs/job_1/cancel'))).toHaveLength(1);
      } finally {
        await close();
      }
    }, 20_000);

    it("answers the job's rows when it is seen to have committed", async () => {
      const { warehouse, close } = await droppingPolls(() => ({
        status: { state: 'DONE' },
        statistics: { query: { numDmlAffectedRows: '7' } },
      }));
      try {
        await expect(warehouse.execute(MERGE, {}, { timeoutMs: 60_000 })).resolves.toBe(7);
      } finally {
        await close();
      }
    });

    it('raises the failure, the write known not applied, when the job is seen stopped', async () => {
      const { warehouse, close } = await droppingPolls(() => ({
        status: { state: 'DONE', errorResult: { reason: 'stopped', message: 'Job execution was cancelled' } },
      }));
      try {
        const err = await warehouse.execute(MERGE, {}, { timeoutMs: 60_000 }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: WarehouseErrorCode.Unavailable });
        expect(writeOutcomeUnknown(err)).toBe(false);
      } finally {
        await close();
      }
    });
  });

  it('does not wait on the cancelled job of a read', async () => {
    bq.fake.onQuery(() => ({ delayMs: 5_000, cancelLagMs: 5_000 }));
    const started = Date.now();

    const err = await bq.wh.query('SELECT slow()', {}, { timeoutMs: 300 }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: WarehouseErrorCode.Timeout, extra: { timeout_ms: 300 } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(requestsTo(/\/jobs\/job_\w+$/)).toHaveLength(0);
  });
});
