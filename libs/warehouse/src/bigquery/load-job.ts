import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Job, JobLoadMetadata, Table, TableField } from '@google-cloud/bigquery';
import { parse } from 'csv-parse/sync';
import { within } from '#platform';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { LoadFileSource } from '../warehouse.port.js';
import { DeadlineExceeded } from './bigquery-errors.js';
import type { WireField } from './wire-values.js';

/**
 * The rows a load job loaded, once it is done; DeadlineExceeded past `timeoutMs`, the job then
 * cancelled (a job queued for hours would hold the import's upload slot and org lease as long).
 */
export async function loadJobDone(job: Job, timeoutMs: number): Promise<number> {
  try {
    const [done] = (await within(job.promise(), timeoutMs, () => new DeadlineExceeded(timeoutMs))) as [
      { statistics?: { load?: { outputRows?: string } } },
    ];
    return Number(done.statistics?.load?.outputRows ?? 0);
  } catch (e) {
    if (e instanceof DeadlineExceeded) {
      // Without a 'complete' listener the job object stops polling; the job itself is cancelled. A
      // poll already in flight still ends in 'complete' or 'error' (the cancellation's own error, as
      // BigQuery answers it): an 'error' emitted with no listener would be thrown from the library's
      // polling, an unhandled rejection that ends the process.
      job
        .removeAllListeners('complete')
        .removeAllListeners('error')
        .on('error', () => undefined);
      await job.cancel().catch(() => undefined);
    }
    throw e;
  }
}

/**
 * How long a load job may take, waiting in BigQuery's queue included, before it is cancelled:
 * BigQuery's own limit is 6 hours, all the while holding the import's upload slot and org lease.
 */
const LOAD_TIMEOUT_MS = 30 * 60_000;

/** Loads the file at `path` into `table` as `metadata` says; the rows it loaded. */
export async function loadInto(
  table: Table,
  path: string,
  metadata: JobLoadMetadata,
  timeoutMs = LOAD_TIMEOUT_MS,
): Promise<number> {
  const [job] = await table.createLoadJob(path, metadata);
  return loadJobDone(job, timeoutMs);
}

/** Appends newline-delimited JSON rows to `table` (matched by column name) through a temp file. */
export async function loadNdjson(table: Table, ndjson: Buffer, timeoutMs?: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bq-rows-'));
  try {
    const path = join(dir, 'rows.ndjson');
    await writeFile(path, ndjson);
    const metadata: JobLoadMetadata = {
      sourceFormat: 'NEWLINE_DELIMITED_JSON',
      writeDisposition: 'WRITE_APPEND',
      createDisposition: 'CREATE_NEVER',
    };
    return await loadInto(table, path, metadata, timeoutMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The header row of a CSV file (gunzipped on the fly); only the first line is read. */
export async function csvHeader(path: string, gzip: boolean): Promise<string[]> {
  const file = createReadStream(path);
  const lines = createInterface({ input: gzip ? file.pipe(createGunzip()) : file, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const [header] = parse(line.replace(/^\uFEFF/, '')) as string[][];
      return header ?? [];
    }
    return [];
  } finally {
    lines.close();
    file.destroy();
  }
}

/**
 * The `configuration.load` of a load job appending the file to the table. Parquet columns match
 * the table's by name; CSV columns match by position, so a CSV load carries a schema: the table's
 * fields in the order of the file's header.
 */
export function loadMetadata(
  label: string,
  fields: readonly WireField[],
  source: LoadFileSource,
  header: readonly string[],
): JobLoadMetadata {
  const common: JobLoadMetadata = { writeDisposition: 'WRITE_APPEND', createDisposition: 'CREATE_NEVER' };
  if (source.format === 'parquet') return { ...common, sourceFormat: 'PARQUET' };
  const byName = new Map(fields.map((f) => [f.name, f]));
  const schema = header.map((name) => {
    const field = byName.get(name);
    if (!field)
      throw new WarehouseError(WarehouseErrorCode.QueryFailed, `loadFile: ${label} has no column ${name}`);
    return field as TableField;
  });
  return {
    ...common,
    sourceFormat: 'CSV',
    skipLeadingRows: 1,
    allowQuotedNewlines: true,
    encoding: 'UTF-8',
    schema: { fields: schema },
  };
}
