import { fail, type FakeField, type Json, legacyFields } from './bigquery-wire.js';

/** Column types BigQuery clusters by (https://cloud.google.com/bigquery/docs/clustered-tables#limitations). */
const CLUSTERABLE = new Set([
  'BIGNUMERIC',
  'BOOLEAN',
  'DATE',
  'DATETIME',
  'GEOGRAPHY',
  'INTEGER',
  'NUMERIC',
  'RANGE',
  'STRING',
  'TIMESTAMP',
]);
const TYPES = new Set([...CLUSTERABLE, 'FLOAT', 'BYTES', 'TIME', 'JSON', 'RECORD', 'INTERVAL']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;

/**
 * What tables.insert refuses of a table resource, as BigQuery does (HTTP 400 invalid): column
 * names and types, duplicate columns, a time-partitioning column that is not a top-level DATE,
 * TIMESTAMP or DATETIME, and more than four clustering columns or one BigQuery cannot cluster by
 * (FLOAT64, JSON, BYTES, REPEATED, nested). The embedded warehouse creates any of them.
 */
export function checkTableResource(body: Json): void {
  const fields = legacyFields((body.schema as { fields?: FakeField[] } | undefined)?.fields);
  const check = (list: FakeField[]) => {
    const seen = new Set<string>();
    for (const f of list) {
      if (!NAME.test(f.name)) fail(400, 'invalid', `Invalid field name "${f.name}"`);
      if (seen.has(f.name.toLowerCase())) fail(400, 'invalid', `Field ${f.name} already exists in schema`);
      seen.add(f.name.toLowerCase());
      if (!TYPES.has(f.type)) fail(400, 'invalid', `Invalid value for type: ${f.type} is not a valid value`);
      if (f.type === 'RECORD') check(f.fields ?? []);
    }
  };
  check(fields);
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const partitioning = body.timePartitioning as { field?: string } | undefined;
  if (partitioning?.field) {
    const f = byName.get(partitioning.field.toLowerCase());
    if (!f || f.mode === 'REPEATED' || !['DATE', 'TIMESTAMP', 'DATETIME'].includes(f.type))
      fail(
        400,
        'invalid',
        `The field specified for time partitioning can only be of type TIMESTAMP, DATE or DATETIME. The type found is: ${f?.type ?? 'none'}.`,
      );
  }
  const clustering = (body.clustering as { fields?: string[] } | undefined)?.fields ?? [];
  if (clustering.length > 4) fail(400, 'invalid', 'Too many clustering fields: 4 at most');
  for (const name of clustering) {
    const f = byName.get(name.toLowerCase());
    if (!f || f.mode === 'REPEATED' || !CLUSTERABLE.has(f.type))
      fail(400, 'invalid', `Field ${name} of type ${f?.type ?? 'none'} is not supported for clustering`);
  }
}
