import { setImmediate as nextTurn } from 'node:timers/promises';
import { BigQueryReadClient } from '@google-cloud/bigquery-storage';
import { credentials, status } from '@grpc/grpc-js';
import pl from 'nodejs-polars';
import { frameDtype } from './result-frame.js';
import { type WireField } from './wire-values.js';
import { standardTypeName } from '../schema/table-drift.js';

/** The anonymous table BigQuery writes a query's results to (jobs.get: configuration.query.destinationTable). */
export interface DestinationTable {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export interface StorageReadOptions {
  projectId: string;
  /** `host:port` of an emulator or a test server, in plain text; Google's endpoint otherwise. */
  endpoint?: string;
}

/** The end-of-stream marker of the Arrow IPC stream format. */
const END_OF_STREAM = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/**
 * The bytes of Arrow record batches decoded at a time, the event loop turning between slices.
 * nodejs-polars decodes an IPC stream synchronously (readIPCStream): a whole frame at once held
 * the event loop, every tenant's requests, 0.1–0.35 s per million rows on each cold frame load. A
 * slice takes a few milliseconds; the slices are joined and cast in Polars' thread pool (collect).
 */
export const DECODE_SLICE_BYTES = 1 << 20;

/** An Arrow IPC stream read as it arrives: its record batches decoded a slice at a time. */
class SlicedDecode {
  private readonly slices: pl.LazyDataFrame[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly schema: Buffer) {}

  async add(batch: Buffer): Promise<void> {
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    if (this.pendingBytes >= DECODE_SLICE_BYTES) await this.decode();
  }

  /** Every batch added, in order, as one frame to come (an empty one of the schema's columns if none). */
  async frame(): Promise<pl.LazyDataFrame> {
    if (this.pending.length > 0 || this.slices.length === 0) await this.decode();
    return pl.concat(this.slices, { rechunk: true, how: 'vertical' });
  }

  private async decode(): Promise<void> {
    const stream = Buffer.concat([this.schema, ...this.pending, END_OF_STREAM]);
    this.pending = [];
    this.pendingBytes = 0;
    this.slices.push(pl.readIPCStream(stream).lazy());
    await nextTurn();
  }
}

/**
 * Result columns whose Arrow form becomes the frame's own type with a cast (INT64 int64, FLOAT64
 * double, NUMERIC decimal128 → Float64, BOOL, STRING, TIMESTAMP timestamp[us, UTC] → ms, DATE
 * date32 → 'YYYY-MM-DD' text). Anything else (REPEATED, RECORD, JSON, BYTES, BIGNUMERIC, DATETIME,
 * TIME, GEOGRAPHY, INTERVAL) is read from the REST pages instead, which decode it as result-frame.ts does.
 */
const ARROW_TYPES = new Set(['INT64', 'FLOAT64', 'NUMERIC', 'BOOL', 'STRING', 'TIMESTAMP', 'DATE']);

export function readableThroughStorage(fields: WireField[]): boolean {
  return fields.every((f) => f.mode !== 'REPEATED' && ARROW_TYPES.has(standardTypeName(f.type)));
}

/** Not retried by the client: the caller's deadline covers one attempt, then the REST pages. */
const NO_RETRIES = { retry: null, retryRequestOptions: { noResponseRetries: 0, retries: 0 } };

const grpcCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** A gRPC failure that says the Storage Read API cannot serve this project (a role, the API off). */
export function storageUnavailable(error: unknown): boolean {
  const code = grpcCode(error);
  return (
    code === status.PERMISSION_DENIED || code === status.UNIMPLEMENTED || code === status.UNAUTHENTICATED
  );
}

/** A gRPC deadline, whichever side noticed it. */
export function storageDeadline(error: unknown): boolean {
  return grpcCode(error) === status.DEADLINE_EXCEEDED;
}

/**
 * Query results through the BigQuery Storage Read API: one read session on the query's
 * destination table in Arrow, one stream (a single stream keeps an ORDER BY's order), its record
 * batches read after the session's schema as Arrow IPC streams that Polars reads natively, a
 * slice at a time (SlicedDecode). No row is ever a JavaScript value: the columns travel as Arrow
 * buffers, not JSON text.
 */
export class StorageRead {
  private readonly client: BigQueryReadClient;

  constructor(private readonly options: StorageReadOptions) {
    const endpoint = options.endpoint ? /^(.+):(\d+)$/.exec(options.endpoint) : null;
    if (options.endpoint && !endpoint)
      throw new Error(`The Storage API endpoint must be host:port (got ${options.endpoint})`);
    this.client = new BigQueryReadClient({
      projectId: options.projectId,
      // An emulator: a plain-text channel (no credentials sent), and the universe domain given so
      // that google-gax does not look for Google credentials to learn it before the first call.
      ...(endpoint
        ? {
            apiEndpoint: endpoint[1],
            port: Number(endpoint[2]),
            sslCreds: credentials.createInsecure(),
            universeDomain: 'googleapis.com',
          }
        : {}),
    });
  }

  /**
   * The table as a frame of the result's column types (see ARROW_TYPES), the text columns named in
   * `categorical` as Categorical (cast with the others in Polars' thread pool), within `timeoutMs`.
   */
  async readTable(
    table: DestinationTable,
    fields: WireField[],
    timeoutMs: number,
    categorical: readonly string[] = [],
  ): Promise<pl.DataFrame> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const [session] = await this.client.createReadSession(
      {
        parent: `projects/${this.options.projectId}`,
        readSession: {
          table: `projects/${table.projectId}/datasets/${table.datasetId}/tables/${table.tableId}`,
          dataFormat: 'ARROW',
        },
        maxStreamCount: 1,
      },
      { timeout: left(), ...NO_RETRIES },
    );
    const schema = session.arrowSchema?.serializedSchema;
    if (!schema) throw new Error('The read session has no Arrow schema');
    // The received bytes as they are (a slice's Buffer.concat is the one copy); base64 if a
    // protobuf decoder was set to give bytes as strings.
    const view = (bytes: Uint8Array | string) =>
      typeof bytes === 'string'
        ? Buffer.from(bytes, 'base64')
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const decode = new SlicedDecode(view(schema));
    // No stream at all: the table has no rows.
    for (const stream of session.streams ?? []) {
      const rows = this.client.readRows(
        { readStream: stream.name, offset: 0 },
        { timeout: left(), ...NO_RETRIES },
      );
      for await (const response of rows as AsyncIterable<{
        arrowRecordBatch?: { serializedRecordBatch?: Uint8Array | null } | null;
      }>) {
        const batch = response.arrowRecordBatch?.serializedRecordBatch;
        if (batch && batch.length > 0) await decode.add(view(batch));
      }
    }
    const dtype = (f: WireField) =>
      categorical.includes(f.name) && standardTypeName(f.type) === 'STRING' ? pl.Categorical : frameDtype(f);
    return (await decode.frame()).select(...fields.map((f) => pl.col(f.name).cast(dtype(f)))).collect();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
