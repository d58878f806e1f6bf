import { BigQueryWarehouse, type BigQueryWarehouseOptions } from '#warehouse';

/**
 * The BigQuery driver as the driver's specs use it against a local server at `url` (the fake
 * BigQuery, or a server of a spec's own): project `finops-test` in the EU, no client retries
 * unless `options` say otherwise.
 */
export function testWarehouse(
  url: string,
  options: Partial<BigQueryWarehouseOptions> = {},
): BigQueryWarehouse {
  return new BigQueryWarehouse({
    projectId: 'finops-test',
    location: 'EU',
    apiEndpoint: url,
    maxRetries: 0,
    ...options,
  });
}
