import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import pl from 'nodejs-polars';
import { startFakeBigQuery, type FakeBigQuery } from '#test/bigquery-server';
import { WarehouseErrorCode } from '../warehouse.errors.js';
import { BigQueryWarehouse } from './bigquery-warehouse.js';

const COSTS = { dataset: 'acme_prod', table: 'costs' };

describe('BigQueryWarehouse loadFile', () => {
  let fake: FakeBigQuery;
  let wh: BigQueryWarehouse;
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bq-load-'));
    fake = await startFakeBigQuery();
    fake.seedTable('acme_prod', 'costs', [
      { name: 'provider', type: 'STRING', mode: 'REQUIRED' },
      { name: 'cost', type: 'NUMERIC' },
      { name: 'day', type: 'DATE' },
    ]);
    wh = new BigQueryWarehouse({
      projectId: 'finops-test',
      apiEndpoint: fake.url,
      maxRetries: 0,
      location: 'EU',
    });
  });
  afterEach(async () => {
    await wh.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads a CSV file as one append load job whose schema follows the header order', async () => {
    const path = join(dir, 'costs.csv');
    await writeFile(path, 'day,provider,cost\n2026-01-31,aws,1.25\n2026-02-01,gcp,2\n');

    const loaded = await wh.loadFile(COSTS, { path, format: 'csv' });

    expect(loaded).toBe(2);
    expect(fake.loads).toHaveLength(1);
    const [load] = fake.loads;
    expect(load).toMatchObject({ projectId: 'finops-test', dataset: 'acme_prod', table: 'costs', rows: 2 });
    expect(load.configuration).toMatchObject({
      sourceFormat: 'CSV',
      skipLeadingRows: 1,
      writeDisposition: 'WRITE_APPEND',
      createDisposition: 'CREATE_NEVER',
      destinationTable: { projectId: 'finops-test', datasetId: 'acme_prod', tableId: 'costs' },
    });
    const schema = (load.configuration.schema as { fields: { name: string; type: string }[] }).fields;
    expect(schema.map((f) => `${f.name} ${f.type}`)).toEqual(['day DATE', 'provider STRING', 'cost NUMERIC']);
    expect(load.data.toString('utf8')).toContain('2026-01-31,aws,1.25');
  });

  it('uploads a gzip CSV file as it is, reading its header through gunzip', async () => {
    const path = join(dir, 'costs.csv.gz');
    await writeFile(path, gzipSync('provider,cost\naws,1\ngcp,2\nazure,3\n'));

    const loaded = await wh.loadFile(COSTS, { path, format: 'csv', gzip: true });

    expect(loaded).toBe(3);
    const schema = (fake.loads[0].configuration.schema as { fields: { name: string }[] }).fields;
    expect(schema.map((f) => f.name)).toEqual(['provider', 'cost']);
    expect(fake.loads[0].data.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('uploads a Parquet file, matched by column name (no schema), and runs the job in the location', async () => {
    const path = join(dir, 'costs.parquet');
    pl.DataFrame({ provider: ['aws', 'gcp', 'oci', 'azure'], cost: [1, 2, 3, 4] }).writeParquet(path);

    const loaded = await wh.loadFile(COSTS, { path, format: 'parquet' });

    expect(loaded).toBe(4);
    expect(fake.loads[0].configuration).toMatchObject({
      sourceFormat: 'PARQUET',
      writeDisposition: 'WRITE_APPEND',
    });
    expect(fake.loads[0].configuration.schema).toBeUndefined();
    expect(fake.loads[0].rows).toBe(4);
    const jobGets = fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/jobs/'));
    expect(jobGets.length).toBeGreaterThanOrEqual(1);
    expect(jobGets[0].query.location).toBe('EU');
  });

  it('answers the rows the job reports as loaded', async () => {
    const path = join(dir, 'costs.csv');
    await writeFile(path, 'provider\naws\ngcp\n');
    fake.onLoad(() => ({ outputRows: 1 }));

    expect(await wh.loadFile(COSTS, { path, format: 'csv' })).toBe(1);
  });

  it('fails with WAREHOUSE_QUERY_FAILED when the load job ends in an error', async () => {
    const path = join(dir, 'costs.csv');
    await writeFile(path, 'provider,cost\naws,abc\n');
    fake.onLoad(() => ({
      error: { code: 400, reason: 'invalid', message: 'Could not parse abc as NUMERIC' },
    }));

    await expect(wh.loadFile(COSTS, { path, format: 'csv' })).rejects.toMatchObject({
      code: WarehouseErrorCode.QueryFailed,
    });
  });

  it('fails with WAREHOUSE_NOT_FOUND for a missing table, and refuses a CSV column the table lacks', async () => {
    const path = join(dir, 'costs.csv');
    await writeFile(path, 'provider,colour\naws,red\n');

    await expect(
      wh.loadFile({ dataset: 'acme_prod', table: 'missing' }, { path, format: 'csv' }),
    ).rejects.toMatchObject({ code: WarehouseErrorCode.NotFound });
    await expect(wh.loadFile(COSTS, { path, format: 'csv' })).rejects.toThrow(/has no column colour/);
    expect(fake.loads).toHaveLength(0);
  });

  /**
   * In front of the fake: `poll` answers each poll of the load job once it is uploaded (BigQuery
   * queues load jobs while the project's load capacity is taken); everything else goes to the fake.
   */
  async function queuedLoads(poll: (n: number) => Promise<object>) {
    const fakeUrl = new URL(fake.url);
    let polls = 0;
    const relay = createServer((req, res) => {
      if (req.method === 'GET' && /\/jobs\/[^/]+$/.test(req.url ?? '')) {
        req.resume();
        void poll(++polls).then((body) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'bigquery#job', ...body }));
        });
        return;
      }
      const upstream = request(
        {
          host: fakeUrl.hostname,
          port: fakeUrl.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => (res.writeHead(answer.statusCode ?? 502, answer.headers), answer.pipe(res)),
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const warehouse = new BigQueryWarehouse({
      projectId: 'finops-test',
      apiEndpoint: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
      maxRetries: 0,
      location: 'EU',
      loadTimeoutMs: 1_200,
    });
    const path = join(dir, 'costs.csv');
    await writeFile(path, 'provider\naws\n');
    return {
      load: () => warehouse.loadFile(COSTS, { path, format: 'csv' }),
      polls: () => polls,
      cancels: () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel')).length,
      close: async () => {
        await warehouse.close();
        relay.closeAllConnections();
        await new Promise((resolve) => relay.close(resolve));
      },
    };
  }

  it('cancels a load job still queued or running at its time limit, and fails with WAREHOUSE_TIMEOUT', async () => {
    const queued = await queuedLoads(() => Promise.resolve({ status: { state: 'RUNNING' } }));
    try {
      const started = Date.now();
      await expect(queued.load()).rejects.toMatchObject({ code: WarehouseErrorCode.Timeout });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(queued.cancels()).toBe(1);
      // Polling stopped with it.
      const after = queued.polls();
      expect(after).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 1_200));
      expect(queued.polls()).toBe(after);
    } finally {
      await queued.close();
    }
  });

  it('lets a poll still in flight at the time limit fail without an unhandled error (it would end the process)', async () => {
    // The poll is still waiting when the limit is reached, and answers once the job is cancelled,
    // as BigQuery then does: DONE, with the cancellation's error.
    let cancelled!: () => void;
    const cancel = new Promise<void>((resolve) => (cancelled = resolve));
    const queued = await queuedLoads(async () => {
      await cancel;
      return {
        status: { state: 'DONE', errorResult: { reason: 'stopped', message: 'Job execution was cancelled' } },
      };
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(queued.load()).rejects.toMatchObject({ code: WarehouseErrorCode.Timeout });
      expect(queued.cancels()).toBe(1);
      expect(queued.polls()).toBe(1);
      cancelled();
      await new Promise((r) => setTimeout(r, 500));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await queued.close();
    }
  });
});
