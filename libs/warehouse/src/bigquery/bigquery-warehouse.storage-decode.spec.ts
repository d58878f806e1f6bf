import pl from 'nodejs-polars';
import { startFakeBigQuery, type FakeBigQuery, type FakeField } from '#test/bigquery-server';
import { startFakeBigQueryStorage, type FakeStorageRead } from '#test/bigquery-storage-server';
import { pausesDuring } from '#test/event-loop';
import { BigQueryWarehouse } from './bigquery-warehouse.js';

/** NUMERIC columns, BigQuery's decimal(38, 9): the costliest to decode for what they cost to write here. */
const COSTS = ['billed', 'effective', 'list'];
const FIELDS: FakeField[] = [
  { name: 'service', type: 'STRING' },
  ...COSTS.map((name) => ({ name, type: 'NUMERIC' })),
];
/** A thousand distinct rows, repeated: the JS heap holds few objects however long the result. */
const SAMPLE: unknown[][] = Array.from({ length: 1_000 }, (_, i) => [
  `service-${i % 300}`,
  ...COSTS.map((_, c) => `${i * (c + 1)}.123456789`),
]);
const ROWS = 400_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('BigQueryWarehouse frames through the Storage Read API, decoded', () => {
  let fake: FakeBigQuery;
  let storage: FakeStorageRead;
  let wh: BigQueryWarehouse;

  beforeAll(async () => {
    fake = await startFakeBigQuery({ pageSize: 100 });
    storage = await startFakeBigQueryStorage(fake, { batchRows: 2_000 });
    const rows = Array.from({ length: ROWS }, (_, i) => SAMPLE[i % SAMPLE.length]!);
    fake.onQuery(() => fake.result(FIELDS, rows));
    wh = new BigQueryWarehouse({
      projectId: 'finops-test',
      apiEndpoint: fake.url,
      storageApiEndpoint: storage.endpoint,
      maxRetries: 0,
      onStorageFallback: (e) => {
        throw e;
      },
    });
  });
  afterAll(async () => {
    await wh.close();
    await storage.close();
    await fake.close();
  });

  it('decodes a long result a slice at a time, the event loop turning between slices', async () => {
    const { value: frame, pauses } = await pausesDuring(() =>
      wh.queryFrame('SELECT service, billed, effective, list FROM costs', {}, { categorical: ['service'] }),
    );
    expect(storage.reads).toHaveLength(1);
    expect(frame.height).toBe(ROWS);
    expect(frame.dtypes.map(String)).toEqual(
      [pl.Categorical, pl.Float64, pl.Float64, pl.Float64].map(String),
    );
    // One piece, in order: the last row is the sample's last.
    expect(frame.getColumn('list').nChunks()).toBe(1);
    expect(frame.row(ROWS - 1)).toEqual(['service-99', 999.123456789, 1998.123456789, 2997.123456789]);

    // The fake server shares this event loop: only the pauses once it sent its last batch are
    // the client's alone (the rest of its decode, or all of it if decoded at once).
    const ended = storage.readsEnded[0]!;
    const longest = Math.max(0, ...pauses.filter((p) => p.to > ended).map((p) => p.to - p.from));
    // What decoding the stream at once holds the event loop (the median of three): its Arrow, as
    // BigQuery sends it (26 MB, 25 slices), read and cast to the frame's types.
    const arrow = frame
      .select(pl.col('service').cast(pl.Utf8), ...COSTS.map((c) => pl.col(c).cast(pl.Decimal(38, 9))))
      .writeIPCStream();
    const atOnce = median(
      [1, 2, 3].map(() => {
        const started = performance.now();
        pl.readIPCStream(arrow).select(
          pl.col('service').cast(pl.Categorical),
          ...COSTS.map((c) => pl.col(c).cast(pl.Float64)),
        );
        return performance.now() - started;
      }),
    );
    expect(longest).toBeLessThan(atOnce / 2);
  });
});
