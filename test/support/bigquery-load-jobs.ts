import { randomUUID } from 'node:crypto';
import {
  countRows,
  type FakeError,
  type FakeField,
  type Json,
  multipartParts,
  notFound,
} from './bigquery-wire.js';
import { ndjsonRefusal } from './bigquery-ndjson-rules.js';

/** A load job as uploaded: its `configuration.load`, the file's bytes and the rows counted in it. */
export interface FakeLoad {
  projectId: string;
  jobId: string;
  dataset: string;
  table: string;
  configuration: Record<string, unknown>;
  data: Buffer;
  /** Data rows of the file: CSV records after `skipLeadingRows` (gunzipped if needed), Parquet rows. */
  rows: number;
}
/** Decides how a load job ends: its output rows (default: the rows counted) or an error. */
export type LoadHandler = (load: FakeLoad) => { outputRows?: number } | { error: FakeError };

/**
 * The fake BigQuery's load jobs (jobs.insert by multipart upload): each is done when its upload is
 * answered, and recorded with its file; an uploaded file is not stored as rows.
 */
export class FakeLoadJobs {
  readonly loads: FakeLoad[] = [];
  handler: LoadHandler | undefined;
  private readonly jobs = new Map<string, Json>();

  constructor(
    private readonly defaultLocation: string,
    /** The destination table's columns, or undefined (throws the fake's 404 for a missing dataset). */
    private readonly tableFields: (dataset: string, table: string) => FakeField[] | undefined,
  ) {}

  /** jobs.get of a load job. */
  get(jobId: string): Json | undefined {
    return this.jobs.get(jobId);
  }

  /** jobs.insert by multipart upload: the job resource, done. */
  upload(projectId: string, raw: Buffer, contentType: string | undefined): Json {
    const [meta, data = Buffer.alloc(0)] = multipartParts(raw, contentType);
    const job = JSON.parse(meta?.toString('utf8') ?? '{}') as Json;
    const load = ((job.configuration as Json | undefined)?.load ?? {}) as Json;
    const destination = load.destinationTable as { datasetId: string; tableId: string };
    const fields =
      this.tableFields(destination.datasetId, destination.tableId) ??
      notFound(`Table ${projectId}:${destination.datasetId}.${destination.tableId}`);
    // BigQuery loads a JSON column from CSV, Avro or newline-delimited JSON only: "Other batch load
    // formats are not supported" (https://cloud.google.com/bigquery/docs/json-data#limitations).
    const json = fields.find((f) => f.type === 'JSON');
    const format = String(load.sourceFormat ?? 'CSV');
    const unreadable = format === 'NEWLINE_DELIMITED_JSON' ? ndjsonRefusal(data, fields) : undefined;
    const refused: { error: FakeError } | undefined =
      json && !['CSV', 'AVRO', 'NEWLINE_DELIMITED_JSON'].includes(format)
        ? {
            error: {
              code: 400,
              reason: 'invalid',
              message: `Unsupported type JSON of ${json.name} for ${format}`,
            },
          }
        : unreadable && { error: unreadable };
    const reference = job.jobReference as { jobId?: string; location?: string } | undefined;
    const jobId = reference?.jobId ?? `job_${randomUUID().replace(/-/g, '')}`;
    const recordedLoad: FakeLoad = {
      projectId,
      jobId,
      dataset: destination.datasetId,
      table: destination.tableId,
      configuration: load,
      data,
      rows: countRows(data, load),
    };
    this.loads.push(recordedLoad);
    const outcome = refused ?? this.handler?.(recordedLoad) ?? {};
    const status =
      'error' in outcome
        ? {
            state: 'DONE',
            errorResult: { reason: outcome.error.reason, message: outcome.error.message },
            errors: [{ reason: outcome.error.reason, message: outcome.error.message }],
          }
        : { state: 'DONE' };
    const outputRows = 'error' in outcome ? 0 : (outcome.outputRows ?? recordedLoad.rows);
    const resource: Json = {
      kind: 'bigquery#job',
      id: `${projectId}:${jobId}`,
      jobReference: { projectId, jobId, location: reference?.location ?? this.defaultLocation },
      configuration: { load },
      status,
      statistics: { load: { outputRows: String(outputRows), inputFiles: '1' } },
    };
    this.jobs.set(jobId, resource);
    return resource;
  }
}
