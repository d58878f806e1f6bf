import { BigQuery, type TableField, type TableMetadata } from '@google-cloud/bigquery';
import type pl from 'nodejs-polars';
import { withCategorical } from '../frame-categorical.js';
import { tableRef } from '../sql.js';
import { checkFrameRows, WarehouseError } from '../warehouse.errors.js';
import type { FieldSchema, TableSchema } from '../schema/table-schema.js';
import type {
  ColumnDescription,
  FrameOptions,
  LoadFileSource,
  QueryOptions,
  QueryParams,
  Row,
  TableDescription,
  TableRef,
  Warehouse,
} from '../warehouse.port.js';
import { createBigQueryClientOptions, type BigQueryWarehouseOptions } from './bigquery-client-options.js';
import {
  DeadlineExceeded,
  hasStatus,
  retryingConcurrentUpdates,
  toWarehouseError,
} from './bigquery-errors.js';
import { withinDeadline } from './admin-deadline.js';
import { buildInsertStatements } from './insert-statements.js';
import { LOAD_MIN_ROWS, ndjsonOf } from './ndjson-rows.js';
import { JobsQuery, type JobsQueryResult } from './jobs-query.js';
import { csvHeader, loadInto, loadMetadata, loadNdjson } from './load-job.js';
import { secretsOf, toQueryParameters } from './query-params.js';
import { renameReservedParams } from './reserved-params.js';
import { toFrame, toFrameInSlices } from './result-frame.js';
import { readableThroughStorage, StorageRead, storageDeadline, storageUnavailable } from './storage-read.js';
import { parseRows, type WireField } from './wire-values.js';
import { standardTypeName } from '../schema/table-drift.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const PING_TIMEOUT_MS = 5_000;
const DDL = /^\s*(CREATE|ALTER|DROP|TRUNCATE)\b/i;
/** How long frames read from the REST pages after the Storage Read API refused the project. */
const STORAGE_REST_MS = 10 * 60_000;

function apiField(field: FieldSchema): TableField {
  return {
    name: field.name,
    type: field.type,
    mode: field.mode ?? 'NULLABLE',
    ...(field.description ? { description: field.description } : {}),
    ...(field.fields ? { fields: field.fields.map(apiField) } : {}),
  };
}

/** `write`: a statement that changes data (see JobsQuery.abandon). */
type RunHow = { firstPageOnly?: boolean; write?: boolean };

/** The Warehouse port on Google BigQuery (@google-cloud/bigquery 8.3.1). */
export class BigQueryWarehouse implements Warehouse {
  readonly driver = 'bigquery' as const;
  private readonly bq: BigQuery;
  private readonly jobs: JobsQuery;
  /** Table schemas for insertRows, keyed `dataset.table`; dropped on any DDL. */
  private readonly schemas = new Map<string, Promise<WireField[]>>();

  /** Frames of long results; undefined against a REST emulator without a Storage endpoint. */
  private readonly storage: StorageRead | undefined;
  /** Until then frames skip the Storage Read API: it refused this project (see queryFrame). */
  private storageRestsUntil = 0;

  constructor(private readonly options: BigQueryWarehouseOptions) {
    this.bq = new BigQuery(createBigQueryClientOptions(options));
    this.jobs = new JobsQuery(this.bq);
    this.storage =
      options.apiEndpoint && !options.storageApiEndpoint
        ? undefined
        : new StorageRead({ projectId: options.projectId, endpoint: options.storageApiEndpoint });
  }

  async query<T extends Row = Row>(sql: string, params?: QueryParams, options?: QueryOptions): Promise<T[]> {
    const result = await this.run(sql, params, options);
    // The caller's row type is a claim about its own SQL; the driver can only vouch for `Row`.
    return parseRows(result.fields, result.rows) as T[];
  }

  async execute(sql: string, params?: QueryParams, options?: QueryOptions): Promise<number> {
    if (DDL.test(sql)) this.schemas.clear();
    return (await this.run(sql, params, options, { write: true })).numDmlAffectedRows;
  }

  /**
   * A result that fits its first page is decoded from it column by column (result-frame.ts); a
   * longer one is read as Arrow through the Storage Read API (storage-read.ts) when its columns
   * allow, else from the remaining REST pages. A Storage failure other than the deadline falls
   * back to the REST pages, so a missing role slows reads down instead of failing them; after a
   * refusal (a role, the API disabled) the Storage path rests for STORAGE_REST_MS.
   */
  async queryFrame(sql: string, params: QueryParams = {}, options?: FrameOptions): Promise<pl.DataFrame> {
    const timeoutMs = this.timeoutOf(options);
    const secrets = secretsOf(params);
    const first = await this.run(sql, params, options, { firstPageOnly: true });
    // Known from the first page: a result too large is refused before the rest is read.
    checkFrameRows(first.totalRows, options?.maxRows);
    const categorical = options?.categorical ?? [];
    const rest = first.rest;
    if (!rest) return await withCategorical(toFrame(first.fields, first.rows), categorical);
    if (this.storage && Date.now() >= this.storageRestsUntil && readableThroughStorage(first.fields)) {
      try {
        const table = await this.jobs.destinationTable(rest);
        return await this.storage.readTable(table, first.fields, rest.deadline - Date.now(), categorical);
      } catch (e) {
        if (e instanceof WarehouseError) throw e;
        if (storageDeadline(e) || Date.now() >= rest.deadline)
          throw toWarehouseError(new DeadlineExceeded(timeoutMs), 'storage read', secrets);
        // A refusal is told once per rest, any other failure each time.
        if (storageUnavailable(e)) this.storageRestsUntil = Date.now() + STORAGE_REST_MS;
        this.options.onStorageFallback?.(e);
      }
    }
    try {
      const rows = [...first.rows, ...(await this.jobs.remainingRows(rest))];
      return await withCategorical(await toFrameInSlices(first.fields, rows), categorical);
    } catch (e) {
      throw toWarehouseError(e, 'jobs.getQueryResults', secrets);
    }
  }

  /**
   * DML INSERTs typed from the table's schema (see insert-statements.ts). Statements run one after
   * another and each commits on its own: if one fails, the rows of the earlier ones stay inserted.
   * Many rows (LOAD_MIN_ROWS) go as one load job instead: committed whole or not at all, never
   * through the streaming buffer, so they can be updated at once, as DML-inserted ones can.
   */
  async insertRows(ref: TableRef, rows: Row[]): Promise<number> {
    if (rows.length === 0) return 0;
    const fields = await this.tableFields(ref);
    let inserted = 0;
    const secrets = [...new Set(rows.flatMap((row) => secretsOf(row)))];
    const ndjson = rows.length >= LOAD_MIN_ROWS ? ndjsonOf(fields, rows) : null;
    if (ndjson)
      return loadNdjson(this.table(ref), ndjson, this.options.loadTimeoutMs).catch((e: unknown) => {
        throw toWarehouseError(e, 'jobs.insert (load rows)', secrets);
      });
    for (const statement of buildInsertStatements(ref, fields, rows)) {
      inserted += (await this.runEncoded(statement.sql, statement.params, {}, secrets, { write: true }))
        .numDmlAffectedRows;
    }
    return inserted;
  }

  /**
   * A load job (multipart upload of the file, then polling the job until it is done): one job
   * commits all its rows or none, and load jobs are free where DML INSERTs are billed.
   */
  async loadFile(ref: TableRef, source: LoadFileSource): Promise<number> {
    const fields = await this.tableFields(ref);
    const header = source.format === 'csv' ? await csvHeader(source.path, source.gzip ?? false) : [];
    const metadata = loadMetadata(`${ref.dataset}.${ref.table}`, fields, source, header);
    try {
      return await loadInto(this.table(ref), source.path, metadata, this.options.loadTimeoutMs);
    } catch (e) {
      throw toWarehouseError(e, 'jobs.insert (load)');
    }
  }

  private table(ref: TableRef) {
    return this.bq.dataset(ref.dataset, { location: this.options.location }).table(ref.table);
  }

  async datasetExists(dataset: string): Promise<boolean> {
    return this.admin('datasets.get', async () => (await this.bq.dataset(dataset).exists())[0]);
  }

  async datasetLocation(dataset: string): Promise<string | null> {
    const get = async () => (await this.bq.dataset(dataset).getMetadata())[0] as { location?: string };
    const metadata = await this.admin('datasets.get', get, 404);
    return metadata === false ? null : (metadata.location ?? null);
  }

  async ensureDataset(
    dataset: string,
    options: { location?: string; description?: string } = {},
  ): Promise<boolean> {
    const location = options.location ?? this.options.location;
    const metadata = {
      ...(location ? { location } : {}),
      ...(options.description ? { description: options.description } : {}),
    };
    const create = async () => {
      await this.bq.createDataset(dataset, metadata);
      return true;
    };
    return this.admin('datasets.insert', create, 409);
  }

  async dropDataset(dataset: string): Promise<boolean> {
    this.forget(dataset);
    const drop = async () => {
      await this.bq.dataset(dataset).delete({ force: true }); // deleteContents=true
      return true;
    };
    return this.admin('datasets.delete', drop, 404);
  }

  async listTables(dataset: string): Promise<string[]> {
    const [tables] = await this.admin('tables.list', () => this.bq.dataset(dataset).getTables());
    return tables.map((t) => t.id ?? '').filter(Boolean);
  }

  async ensureTable(dataset: string, schema: TableSchema): Promise<boolean> {
    this.forget(dataset, schema.name);
    const metadata: TableMetadata = {
      schema: { fields: schema.fields.map(apiField) },
      ...(schema.description ? { description: schema.description } : {}),
      ...(schema.timePartitioning ? { timePartitioning: { ...schema.timePartitioning } } : {}),
      ...(schema.clustering?.length ? { clustering: { fields: [...schema.clustering] } } : {}),
      ...(schema.expiresAfterMs ? { expirationTime: String(Date.now() + schema.expiresAfterMs) } : {}),
    };
    const create = async () => {
      await this.bq.dataset(dataset).createTable(schema.name, metadata);
      return true;
    };
    return this.admin('tables.insert', create, 409);
  }

  /**
   * Read-modify-write of the schema, guarded by the etag (If-Match) so a concurrent change is not
   * overwritten; one retry on a lost race (412).
   */
  async addColumns(dataset: string, table: string, fields: FieldSchema[]): Promise<void> {
    this.forget(dataset, table);
    const attempt = async (): Promise<void> => {
      const ref = this.bq.dataset(dataset).table(table);
      const [metadata] = await ref.getMetadata();
      const existing = (metadata.schema?.fields ?? []) as TableField[];
      const known = new Set(existing.map((f) => (f.name ?? '').toLowerCase()));
      const added = fields
        .filter((f) => !known.has(f.name.toLowerCase()))
        .map((f) => apiField({ ...f, mode: f.mode === 'REPEATED' ? 'REPEATED' : 'NULLABLE' }));
      if (added.length === 0) return;
      await ref.setMetadata({ schema: { fields: [...existing, ...added] }, etag: metadata.etag });
    };
    await this.admin('tables.patch', () =>
      attempt().catch((e) => (hasStatus(e, 412) ? attempt() : Promise.reject(e))),
    );
  }

  async dropTable(dataset: string, table: string): Promise<boolean> {
    this.forget(dataset, table);
    const drop = async () => {
      await this.bq.dataset(dataset).table(table).delete();
      return true;
    };
    return this.admin('tables.delete', drop, 404);
  }

  async createOrReplaceView(dataset: string, view: string, sql: string): Promise<void> {
    await this.execute(`CREATE OR REPLACE VIEW ${tableRef(dataset, view)} AS\n${sql}`);
  }

  async describeTable(dataset: string, table: string): Promise<TableDescription | null> {
    const get = async () => (await this.bq.dataset(dataset).table(table).getMetadata())[0] as TableMetadata;
    const metadata = await this.admin('tables.get', get, 404);
    if (metadata === false) return null;
    const columns: ColumnDescription[] = ((metadata.schema?.fields ?? []) as WireField[]).map((f) => ({
      name: f.name,
      type: standardTypeName(f.type),
      mode: f.mode === 'REQUIRED' || f.mode === 'REPEATED' ? f.mode : 'NULLABLE',
    }));
    const kind = metadata.type === 'VIEW' || metadata.type === 'MATERIALIZED_VIEW' ? 'VIEW' : 'TABLE';
    return { dataset, table, kind, columns };
  }

  async ping(timeoutMs: number = PING_TIMEOUT_MS): Promise<void> {
    await this.run('SELECT 1', {}, { timeoutMs });
  }

  async close(): Promise<void> {
    // The REST client holds no connections of its own beyond keep-alive sockets that idle out;
    // the Storage client holds a gRPC channel.
    this.schemas.clear();
    await this.storage?.close();
  }

  private timeoutOf(options: QueryOptions = {}): number {
    return options.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private run(
    sql: string,
    params: QueryParams = {},
    options: QueryOptions = {},
    how: RunHow = {},
  ): Promise<JobsQueryResult> {
    return this.runEncoded(sql, toQueryParameters(params), options, secretsOf(params), how);
  }

  private async runEncoded(
    sql: string,
    params: ReturnType<typeof toQueryParameters>,
    options: QueryOptions,
    secrets: string[],
    { write, ...how }: RunHow = {},
  ): Promise<JobsQueryResult> {
    const request = {
      ...renameReservedParams(sql, params),
      timeoutMs: this.timeoutOf(options),
      maximumBytesBilled: options.maximumBytesBilled ?? this.options.maximumBytesBilled,
      labels: options.labels,
      location: this.options.location,
      write,
    };
    try {
      const run = () => this.jobs.run(request, how);
      return await (write ? retryingConcurrentUpdates(run) : run());
    } catch (e) {
      throw toWarehouseError(e, 'jobs.query', secrets);
    }
  }

  private tableFields(ref: TableRef): Promise<WireField[]> {
    const key = `${ref.dataset}.${ref.table}`;
    const cached = this.schemas.get(key);
    if (cached) return cached;
    const table = this.bq.dataset(ref.dataset).table(ref.table);
    const fields = this.admin(
      'tables.get',
      async () => ((await table.getMetadata())[0].schema?.fields ?? []) as WireField[],
    );
    fields.catch(() => this.schemas.delete(key));
    this.schemas.set(key, fields);
    return fields;
  }

  private forget(dataset: string, table?: string): void {
    for (const key of this.schemas.keys())
      if (table ? key === `${dataset}.${table}` : key.startsWith(`${dataset}.`)) this.schemas.delete(key);
  }

  /** A metadata call, within the query timeout; `expected`: the HTTP status meaning "already so" (→ false). */
  private admin<T>(operation: string, call: () => Promise<T>): Promise<T>;
  private admin<T>(operation: string, call: () => Promise<T>, expected: number): Promise<T | false>;
  private async admin<T>(operation: string, call: () => Promise<T>, expected?: number): Promise<T | false> {
    try {
      return await withinDeadline(operation, call(), this.timeoutOf());
    } catch (e) {
      if (expected !== undefined && hasStatus(e, expected)) return false;
      throw toWarehouseError(e, operation);
    }
  }
}
