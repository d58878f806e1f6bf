import { randomBytes } from 'node:crypto';
import type { TableSchema } from '../schema/table-schema.js';
import type { QueryParams, Row, Warehouse } from '../warehouse.port.js';

export interface WarehouseContractOptions {
  /**
   * The driver rejects BigQuery SQL outside a documented subset with WAREHOUSE_UNSUPPORTED_SQL
   * (the embedded driver does; BigQuery itself accepts all of it).
   */
  rejectsUnsupportedSql?: boolean;
  /** A statement that runs for several seconds, for the timeout test (default: a large cross join). */
  slowQuery?: { sql: string; params?: QueryParams };
  /** The timeout the timeout test sets, in ms (default 150). */
  timeoutMs?: number;
}

/** What every contract area gets: the warehouse under test and throwaway datasets. */
export interface ContractContext {
  readonly options: WarehouseContractOptions;
  warehouse(): Warehouse;
  /** A unique dataset name, dropped after the test (not created). */
  datasetName(): string;
  /** A unique dataset, created now and dropped after the test. */
  dataset(): Promise<string>;
  /** A dataset holding the all-types table (empty). */
  allTypesDataset(): Promise<string>;
}

/** One column of every type the port normalises, with its BigQuery storage options. */
export const ALL_TYPES: TableSchema = {
  name: 'all_types',
  fields: [
    { name: 'id', type: 'INT64', mode: 'REQUIRED' },
    { name: 'name', type: 'STRING' },
    { name: 'amount', type: 'FLOAT64' },
    { name: 'cost', type: 'NUMERIC' },
    { name: 'active', type: 'BOOL' },
    { name: 'created_at', type: 'TIMESTAMP' },
    { name: 'usage_date', type: 'DATE' },
    { name: 'payload', type: 'JSON' },
    { name: 'blob', type: 'BYTES' },
    { name: 'tags', type: 'STRING', mode: 'REPEATED' },
    {
      name: 'labels',
      type: 'RECORD',
      mode: 'REPEATED',
      fields: [
        { name: 'key', type: 'STRING' },
        { name: 'value', type: 'STRING' },
      ],
    },
  ],
  timePartitioning: { type: 'DAY', field: 'usage_date' },
  clustering: ['name'],
};

/** A fully populated all-types row; its values are already in the Row contract's normalised form. */
export function anAllTypesRow(overrides: Row = {}): Row {
  return {
    id: 1,
    name: 'aws',
    amount: 1.25,
    cost: 12.345678901,
    active: true,
    created_at: new Date('2026-01-31T10:11:12.345Z'),
    usage_date: '2026-01-31',
    payload: { a: [1, 2], b: 'x' },
    blob: Buffer.from([0, 1, 2, 255]),
    tags: ['x', 'y'],
    labels: [{ key: 'team', value: 'core' }],
    ...overrides,
  };
}

export function uniqueDatasetName(): string {
  return `c_${randomBytes(6).toString('hex')}`;
}
