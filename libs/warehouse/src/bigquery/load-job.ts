import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { JobLoadMetadata, TableField } from '@google-cloud/bigquery';
import { parse } from 'csv-parse/sync';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { LoadFileSource } from '../warehouse.port.js';
import type { WireField } from './wire-values.js';

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
