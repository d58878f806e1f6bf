import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { BigQueryWarehouse } from './bigquery-warehouse.js';
import { testWarehouse } from '#test/bigquery-test-warehouse';

/**
 * A BigQuery endpoint that answers every wait at once, the job unfinished until `doneAfterPolls`
 * getQueryResults calls: BigQuery does not promise to hold a call for the `timeoutMs` it is given
 * (the recording fake in test/support always does, so it cannot show this).
 */
async function impatientBigQuery(doneAfterPolls = Infinity) {
  const calls: { method: string; path: string }[] = [];
  const jobReference = { projectId: 'finops-test', jobId: 'job_slow', location: 'EU' };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      calls.push({ method: req.method ?? 'GET', path });
      const polls = calls.filter((c) => c.method === 'GET').length;
      const done = path.endsWith('/queries/job_slow') && polls >= doneAfterPolls;
      const body = path.endsWith('/cancel')
        ? { kind: 'bigquery#jobCancelResponse' }
        : done
          ? {
              jobComplete: true,
              jobReference,
              schema: { fields: [{ name: 'n', type: 'INTEGER' }] },
              rows: [{ f: [{ v: '7' }] }],
              totalRows: '1',
            }
          : { jobComplete: false, jobReference };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    polls: () => calls.filter((c) => c.method === 'GET').length,
    cancels: () => calls.filter((c) => c.path.endsWith('/cancel')).length,
    close: () =>
      new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('BigQueryWarehouse polling an unfinished job', () => {
  let fake: Awaited<ReturnType<typeof impatientBigQuery>>;
  let wh: BigQueryWarehouse;
  const open = async (doneAfterPolls?: number) => {
    fake = await impatientBigQuery(doneAfterPolls);
    wh = testWarehouse(fake.url);
  };
  afterEach(async () => {
    await wh.close();
    await fake.close();
  });

  it('spaces its polls when BigQuery answers before the wait it was asked for, then cancels at the deadline', async () => {
    await open();

    const err = await wh.query('SELECT slow()', {}, { timeoutMs: 3_000 }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: WarehouseErrorCode.Timeout });
    // 100, 200, 400, 800, 1,000 ms apart: five polls in 3 s (three still when a loaded machine is
    // slow to send the first), where a tight loop sent hundreds.
    expect(fake.polls()).toBeGreaterThanOrEqual(3);
    expect(fake.polls()).toBeLessThanOrEqual(10);
    expect(fake.cancels()).toBe(1);
  });

  it('still reads the result of a job that finishes while being polled', async () => {
    await open(3);

    await expect(wh.query('SELECT slow()', {}, { timeoutMs: 5_000 })).resolves.toEqual([{ n: 7 }]);
    expect(fake.polls()).toBe(3);
    expect(fake.cancels()).toBe(0);
  });
});
