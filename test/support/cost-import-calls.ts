import type { Readable } from 'node:stream';
import { tableRef, type Warehouse } from '#warehouse';
import type { TestApp } from '#test/test-app';

/** An org to import into: the app, its warehouse, and the org with its key. */
export interface ImportTarget {
  t: TestApp;
  warehouse: Warehouse;
  org: string;
  key: string;
}

/** POSTs `payload` to the org's FOCUS import with its org key. */
export function uploadTo(
  { t, org, key }: ImportTarget,
  payload: string | Buffer | Readable,
  headers: Record<string, string>,
  query = '',
) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/organizations/${org}/costs/import${query}`,
    headers: { 'x-api-key': key, ...headers },
    payload,
  });
}

/** Rows and billed total of the org's cost table stamped with `source`. */
export async function billedBySource(
  { warehouse, org }: ImportTarget,
  source: string,
): Promise<{ n: number; billed: number }> {
  const [row] = await warehouse.query<{ n: number; billed: number }>(
    `SELECT COUNT(*) AS n, COALESCE(SUM(CAST(BilledCost AS FLOAT64)), 0) AS billed
     FROM ${tableRef(`${org}_local`, 'cost_data_standard_1_3')} WHERE x_source_system = @source`,
    { source },
  );
  return row!;
}

/** uploadTo and billedBySource bound to a target that a spec's beforeAll sets (read at each call). */
export function importCalls(target: () => ImportTarget) {
  return {
    upload: (payload: string | Buffer | Readable, headers: Record<string, string>, query = '') =>
      uploadTo(target(), payload, headers, query),
    billed: (source: string) => billedBySource(target(), source),
  };
}
