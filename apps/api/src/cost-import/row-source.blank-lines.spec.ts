import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCsvSource, type RowBatch, type RowSource } from './row-source.js';

/**
 * Lines of blank cells are not rows. A spreadsheet saved as CSV ends with a line of commas for
 * each row it once formatted (`,,,,`); such a line was read as a row lacking every mandatory
 * column, so by default the whole file was refused ("row 3: BillingAccountId is required, …"),
 * and with on_error=skip it counted as a rejected row. They are skipped like empty lines, and the
 * row numbers of the rows after them count data rows only.
 */
describe('openCsvSource: blank lines', () => {
  let dir: string;
  let source: RowSource | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-blank-'));
  });
  afterEach(() => {
    source?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function batches(text: string): Promise<RowBatch[]> {
    const file = path.join(dir, 'focus.csv');
    fs.writeFileSync(file, text);
    source = await openCsvSource(file, { gzip: false, maxExpandedBytes: 1 << 30 });
    const read: RowBatch[] = [];
    for await (const batch of source.batches(2)) read.push(batch);
    return read;
  }

  it('skips lines of commas or spaces only, wherever they are, without counting them', async () => {
    const read = await batches(
      [
        'ServiceName,BilledCost,ResourceName',
        'EC2,1,a',
        ',,',
        '  ,  , ',
        'S3,2,b',
        '',
        'RDS,3,c',
        ',,',
        ',,',
        '',
      ].join('\r\n'),
    );
    expect(read).toEqual([
      {
        firstRow: 1,
        rows: [
          ['EC2', '1', 'a'],
          ['S3', '2', 'b'],
        ],
      },
      { firstRow: 3, rows: [['RDS', '3', 'c']] },
    ]);
  });

  it('keeps a row with any value, to be reported if it lacks mandatory ones', async () => {
    const read = await batches('ServiceName,BilledCost,ResourceName\n,,x\n');
    expect(read).toEqual([{ firstRow: 1, rows: [['', '', 'x']] }]);
  });
});
