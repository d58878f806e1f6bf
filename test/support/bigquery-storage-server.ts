import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import pl from 'nodejs-polars';
import type { FakeBigQuery, FakeField } from './bigquery-server.js';

/**
 * A local stand-in for the BigQuery Storage Read API (google.cloud.bigquery.storage.v1.BigQueryRead,
 * gRPC, from the client library's own protos): CreateReadSession on a query's anonymous destination
 * table of the REST fake, and ReadRows streaming its rows as Arrow IPC messages, a schema in the
 * session and record batches in the stream, with BigQuery's Arrow types (INT64 int64, FLOAT64 double,
 * NUMERIC decimal(38, 9), BOOL, STRING, TIMESTAMP timestamp[us, UTC], DATE date32).
 */
export interface FakeStorageRead {
  /** `host:port`, plain text. */
  readonly endpoint: string;
  readonly sessions: { parent: string; table: string; dataFormat: string; maxStreamCount: number }[];
  readonly reads: string[];
  /** When each ReadRows stream was ended, after its last batch (performance.now()). */
  readonly readsEnded: number[];
  /** Fails every CreateReadSession with this status (e.g. PERMISSION_DENIED) until cleared. */
  fail(code: grpc.status | undefined): void;
  /** Fails every ReadRows before its first message with this status until cleared. */
  failReads(code: grpc.status | undefined): void;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const PROTOS = require('@google-cloud/bigquery-storage/build/protos/protos.json') as Parameters<
  typeof protoLoader.fromJSON
>[0];

interface ReadSessionRequest {
  parent: string;
  readSession: { table: string; dataFormat: string };
  maxStreamCount: number;
}

function series(field: FakeField, values: unknown[]): pl.Series {
  const present = (map: (v: unknown) => unknown) =>
    values.map((v) => (v === null || v === undefined ? null : map(v)));
  switch (field.type) {
    case 'INTEGER':
    case 'INT64':
      // From text, every digit kept (a bigint or a number past 2^53 as BigQuery holds it).
      return pl.Series(field.name, present(String), pl.Utf8).cast(pl.Int64);
    case 'FLOAT':
    case 'FLOAT64':
      return pl.Series(field.name, present(Number), pl.Float64);
    case 'NUMERIC':
      return pl.Series(field.name, present(Number), pl.Float64).cast(pl.Decimal(38, 9));
    case 'BOOLEAN':
    case 'BOOL':
      return pl.Series(field.name, present(Boolean), pl.Bool);
    case 'TIMESTAMP':
      return pl
        .Series(
          field.name,
          present((v) => (v instanceof Date ? v : new Date(typeof v === 'number' ? v : String(v)))),
          pl.Datetime('ms', 'UTC'),
        )
        .cast(pl.Datetime('us', 'UTC'));
    case 'DATE':
      return pl
        .Series(
          field.name,
          present((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v))),
          pl.Utf8,
        )
        .str.strptime(pl.Date, '%Y-%m-%d');
    case 'STRING':
      return pl.Series(field.name, present(String), pl.Utf8);
    default:
      throw new Error(`fake Storage Read API: no Arrow form for ${field.type}`);
  }
}

/** The encapsulated messages of an Arrow IPC stream, end-of-stream marker left out. */
function ipcMessages(stream: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let pos = 0;
  while (pos + 8 <= stream.length) {
    if (stream.readUInt32LE(pos) !== 0xffffffff) throw new Error('not an Arrow IPC stream');
    const metadataLength = stream.readInt32LE(pos + 4);
    if (metadataLength === 0) break;
    // The Message flatbuffer: root table, its vtable, field 3 is bodyLength (int64).
    const fb = pos + 8;
    const table = fb + stream.readUInt32LE(fb);
    const vtable = table - stream.readInt32LE(table);
    const vtableSize = stream.readUInt16LE(vtable);
    const fieldOffset = 4 + 2 * 3 < vtableSize ? stream.readUInt16LE(vtable + 4 + 2 * 3) : 0;
    const bodyLength = fieldOffset ? Number(stream.readBigInt64LE(table + fieldOffset)) : 0;
    const end = fb + metadataLength + bodyLength;
    messages.push(stream.subarray(pos, end));
    pos = end;
  }
  return messages;
}

/** The schema message, then one record batch message per `batchRows` rows. */
function arrowOf(
  schema: FakeField[],
  rows: unknown[][],
  batchRows: number,
): { schema: Buffer; batches: Buffer[] } {
  const frame = pl.DataFrame(
    schema.map((f, i) =>
      series(
        f,
        rows.map((r) => r[i]),
      ),
    ),
  );
  const [schemaMessage] = ipcMessages(frame.head(0).writeIPCStream());
  const batches: Buffer[] = [];
  for (let start = 0; start < frame.height; start += batchRows) {
    const [, ...slice] = ipcMessages(frame.slice(start, batchRows).rechunk().writeIPCStream());
    batches.push(...slice);
  }
  return { schema: schemaMessage, batches };
}

export interface FakeStorageReadOptions {
  /** Rows per record batch (2: several batches per stream, as BigQuery sends them). */
  batchRows?: number;
}

export async function startFakeBigQueryStorage(
  rest: FakeBigQuery,
  options: FakeStorageReadOptions = {},
): Promise<FakeStorageRead> {
  const batchRows = options.batchRows ?? 2;
  const definition = protoLoader.fromJSON(PROTOS, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  // The loaded package is untyped: a tree of namespaces ending in service constructors.
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { bigquery: { storage: { v1: { BigQueryRead: grpc.ServiceClientConstructor } } } } };
  };
  const sessions: FakeStorageRead['sessions'] = [];
  const reads: string[] = [];
  const readsEnded: number[] = [];
  const streams = new Map<string, Buffer[]>();
  let failure: grpc.status | undefined;
  let readFailure: grpc.status | undefined;

  const server = new grpc.Server();
  server.addService(loaded.google.cloud.bigquery.storage.v1.BigQueryRead.service, {
    createReadSession(
      call: grpc.ServerUnaryCall<ReadSessionRequest, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) {
      const { parent, readSession, maxStreamCount } = call.request;
      sessions.push({ parent, table: readSession.table, dataFormat: readSession.dataFormat, maxStreamCount });
      if (failure !== undefined) {
        callback({ code: failure, details: 'The caller does not have bigquery.readsessions.create' });
        return;
      }
      const m = /^projects\/[^/]+\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(readSession.table);
      const data = m ? rest.destination(m[1], m[2]) : undefined;
      if (!data) {
        callback({ code: grpc.status.NOT_FOUND, details: `Not found: Table ${readSession.table}` });
        return;
      }
      const arrow = arrowOf(data.schema, data.rows, batchRows);
      const name = `projects/fake/locations/us/sessions/s${sessions.length}`;
      const stream = `${name}/streams/0`;
      streams.set(stream, arrow.batches);
      callback(null, {
        name,
        dataFormat: 'ARROW',
        table: readSession.table,
        arrowSchema: { serializedSchema: arrow.schema },
        // BigQuery gives no stream to read for a table without rows.
        streams: data.rows.length > 0 ? [{ name: stream }] : [],
      });
    },
    readRows(call: grpc.ServerWritableStream<{ readStream: string; offset: string }, unknown>) {
      reads.push(call.request.readStream);
      if (readFailure !== undefined) {
        call.emit('error', { code: readFailure, details: 'The stream failed' });
        return;
      }
      // Written as the client takes them (a large stream waits on the channel's flow control).
      void (async () => {
        for (const batch of streams.get(call.request.readStream) ?? []) {
          if (call.cancelled) return;
          if (!call.write({ arrowRecordBatch: { serializedRecordBatch: batch } }))
            await new Promise((resolve) => call.once('drain', resolve));
        }
        call.end();
        readsEnded.push(performance.now());
      })();
    },
    splitReadStream(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the fake' });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    sessions,
    reads,
    readsEnded,
    fail: (code) => void (failure = code),
    failReads: (code) => void (readFailure = code),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
