import type { TableRow } from '@google-cloud/bigquery';
import pl from 'nodejs-polars';
import { startFakeBigQuery, type FakeBigQuery, type FakeField } from '#test/bigquery-server';
import { longestHoldDuring } from '#test/event-loop';
import { BigQueryWarehouse } from './bigquery-warehouse.js';
import { JobsQuery } from './jobs-query.js';
import { toFrame } from './result-frame.js';

const FIELDS: FakeField[] = [
  { name: 'service', type: 'STRING' },
  { name: 'billed', type: 'NUMERIC' },
  { name: 'effective', type: 'FLOAT64' },
  { name: 'rows', type: 'INT64' },
  { name: 'unit', type: 'STRING' },
];
/** A thousand distinct rows, repeated. */
const SAMPLE: unknown[][] = Array.from({ length: 1_000 }, (_, i) => [
  `service-${i % 300}`,
  `${i}.123456789`,
  i / 8,
  String(i),
  i % 7 ? 'hours' : null,
]);
const ROWS = 300_000;

// Without the Storage Read API (refused: a role missing, the API disabled) a long result is read
// from its REST pages, and its rows were decoded into the frame at once, on the main thread.
describe('BigQueryWarehouse frames from REST pages, decoded', () => {
  let fake: FakeBigQuery;
  let wh: BigQueryWarehouse;

  beforeAll(async () => {
    fake = await startFakeBigQuery({ pageSize: 50_000 });
    const rows = Array.from({ length: ROWS }, (_, i) => SAMPLE[i % SAMPLE.length]!);
    fake.onQuery(() => fake.result(FIELDS, rows));
    // No Storage endpoint: every long result is read from its pages.
    wh = new BigQueryWarehouse({ projectId: 'finops-test', apiEndpoint: fake.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await wh.close();
    await fake.close();
  });

  it('decodes the pages a slice at a time, the event loop turning between slices', async () => {
    // From the moment the last page is in (what comes before is the fake server's, on this loop).
    const remaining = JobsQuery.prototype.remainingRows;
    let paged: TableRow[] = [];
    let decodeHeld: Promise<{ longestMs: number }> | undefined;
    let returned = () => {};
    const spy = vi.spyOn(JobsQuery.prototype, 'remainingRows').mockImplementation(async function (
      this: JobsQuery,
      ...args
    ) {
      paged = await remaining.apply(this, args);
      decodeHeld = longestHoldDuring(() => new Promise<void>((resolve) => (returned = resolve)));
      return paged;
    });
    let frame: pl.DataFrame;
    try {
      frame = await wh.queryFrame('SELECT * FROM costs', {}, { categorical: ['service'] });
      returned();
    } finally {
      spy.mockRestore();
    }
    const { longestMs } = await decodeHeld!;

    expect(frame.height).toBe(ROWS);
    expect(frame.dtypes.map(String)).toEqual(
      [pl.Categorical, pl.Float64, pl.Float64, pl.Int64, pl.String].map(String),
    );
    expect(frame.getColumn('billed').nChunks()).toBe(1);
    // In order, whole: the last row is the sample's last, the sums the sample's times 300.
    expect(frame.row(ROWS - 1)).toEqual(['service-99', 999.123456789, 999 / 8, 999, 'hours']);
    expect(frame.getColumn('rows').sum()).toBe(300 * ((999 * 1000) / 2));
    expect(frame.getColumn('unit').nullCount()).toBe(300 * 143);
    // What decoding the pages' rows at once holds the event loop (then the Categorical cast):
    // measured 350-430 ms, against 50-115 ms decoded in slices, the collector's pauses (the
    // decoded values' garbage) then the longest.
    const atOnce = await longestHoldDuring(() =>
      toFrame(FIELDS, paged).withColumns(pl.col('service').cast(pl.Categorical)),
    );
    expect(longestMs).toBeLessThan(atOnce.longestMs / 2);
  });
});
