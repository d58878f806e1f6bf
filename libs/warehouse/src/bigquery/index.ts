export { BigQueryWarehouse } from './bigquery-warehouse.js';
export {
  createBigQueryClientOptions,
  staticAuthClient,
  LOCAL_FAKE_TOKEN,
  type BigQueryWarehouseOptions,
} from './bigquery-client-options.js';
