import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  decodeParams,
  encodeValue,
  fail,
  type FakeError,
  type FakeField,
  type FakeQueryRequest,
  HttpError,
  type Json,
  legacyFields,
  notFound,
  parseBody,
  readRaw,
  reservedParamError,
  STATUS,
} from './bigquery-wire.js';

import { FakeCatalog, NOT_ROUTED } from './bigquery-catalog.js';
import { FakeLoadJobs, type FakeLoad, type LoadHandler } from './bigquery-load-jobs.js';

export type { FakeError, FakeField, FakeQueryRequest } from './bigquery-wire.js';
export type { FakeLoad, LoadHandler } from './bigquery-load-jobs.js';

/**
 * A local stand-in for the BigQuery v2 REST API: it records every request and answers the calls
 * the client library makes (jobs.query, getQueryResults, jobs.cancel, datasets and
 * tables, load jobs (FakeLoadJobs) and jobs.get). Query answers come from a pluggable handler;
 * dataset and table metadata live in memory; an uploaded file is recorded, not stored as rows.
 * Like the real service it reports column types by their legacy names (INTEGER, FLOAT, BOOLEAN,
 * RECORD), so drivers are tested against what BigQuery really sends back.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
}
/** Rows are positional JS values; the fake encodes them to BigQuery's f/v wire format. */
export type QueryOutcome =
  { schema: FakeField[]; rows: unknown[][] } | { dmlAffectedRows: number } | { error: FakeError };
/**
 * `delayMs` keeps the job running that long (the request's `timeoutMs` is honoured meanwhile);
 * alone, it ends in an empty result. `cancelLagMs`: a cancel takes effect that long after it is
 * asked (BigQuery cancels asynchronously), so a job that ends meanwhile completes regardless.
 */
type Timing = { delayMs?: number; cancelLagMs?: number };
export type QueryAnswer = (QueryOutcome & Timing) | (Timing & { delayMs: number });
export type QueryHandler = (req: FakeQueryRequest) => QueryAnswer | Promise<QueryAnswer>;
/** Return an error to fail a request before it is routed (e.g. a 500 on tables.get). */
export type RequestInterceptor = (req: RecordedRequest) => FakeError | undefined;

/** The anonymous table a query job's results are written to. */
export const anonymousTable = (jobId: string) => ({ datasetId: '_fake_anonymous', tableId: `anon_${jobId}` });

export interface FakeBigQuery {
  readonly url: string;
  /** The rows a query job wrote to its anonymous destination table (see anonymousTable). */
  destination(datasetId: string, tableId: string): { schema: FakeField[]; rows: unknown[][] } | undefined;
  readonly requests: RecordedRequest[];
  readonly loads: FakeLoad[];
  onQuery(handler: QueryHandler): void;
  onLoad(handler: LoadHandler | undefined): void;
  intercept(interceptor: RequestInterceptor | undefined): void;
  result(fields: FakeField[], rows: unknown[][]): QueryAnswer;
  /** A table's stored resource (as tables.get returns it), or undefined. */
  table(dataset: string, table: string): Record<string, unknown> | undefined;
  seedTable(dataset: string, table: string, fields: FakeField[], type?: 'TABLE' | 'VIEW'): void;
  close(): Promise<void>;
}

interface FakeJob {
  id: string;
  projectId: string;
  location: string;
  readyAt: number;
  outcome: QueryAnswer;
  /** When an asked cancel takes effect: the job is stopped if that comes before readyAt. */
  cancelAt?: number;
}

/** BigQuery's location names are case-insensitive ('EU', 'eu'). */
const sameLocation = (a: unknown, b: unknown): boolean => String(a).toLowerCase() === String(b).toLowerCase();

const stopped = (job: FakeJob): boolean => job.cancelAt !== undefined && job.cancelAt < job.readyAt;

export interface FakeBigQueryOptions {
  /** Rows per results page (BigQuery pages by bytes; a small size exercises pagination). */
  pageSize?: number;
  location?: string;
  /** The project seeded tables belong to. */
  projectId?: string;
}

export async function startFakeBigQuery(options: FakeBigQueryOptions = {}): Promise<FakeBigQuery> {
  const seedProject = options.projectId ?? 'test-project';
  const pageSize = options.pageSize ?? 10_000;
  const defaultLocation = options.location ?? 'US';
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, FakeJob>();
  const loadJobs = new FakeLoadJobs(
    defaultLocation,
    (ds, table) => (getDataset(ds).tables.get(table)?.schema as { fields: FakeField[] } | undefined)?.fields,
  );
  const catalog = new FakeCatalog(defaultLocation, pageSize);
  const closing = new AbortController();
  let handler: QueryHandler = () => ({ schema: [], rows: [] });
  let interceptor: RequestInterceptor | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const stop = () => (clearTimeout(timer), resolve());
      const timer = setTimeout(
        () => (closing.signal.removeEventListener('abort', stop), resolve()),
        Math.max(0, ms),
      );
      closing.signal.addEventListener('abort', stop, { once: true });
    });
  const getDataset = (id: string) => catalog.get(id);

  async function startJob(projectId: string, body: Json, jobId: string, location: string): Promise<FakeJob> {
    const sql = String(body.query ?? '');
    // A job given a location reads and writes there only: a dataset elsewhere is not found
    // (BigQuery: "Not found: Dataset p:ds was not found in location US").
    const elsewhere =
      body.location === undefined
        ? undefined
        : [...sql.matchAll(/`(?:[\w-]+\.)?(\w+)\.\w+`/g)]
            .map((m) => m[1])
            .find((ds) => catalog.has(ds) && !sameLocation(getDataset(ds).resource.location, location));
    const view =
      /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+`(?:[\w-]+\.)?(\w+)\.(\w+)`\s+AS\s+([\s\S]*)$/i.exec(sql);
    if (view && !elsewhere) {
      getDataset(view[1]).tables.delete(view[2]);
      catalog.putTable(projectId, view[1], {
        tableReference: { tableId: view[2] },
        view: { query: view[3], useLegacySql: false },
      });
    }
    const syntax = reservedParamError(sql);
    const outcome: QueryAnswer = syntax
      ? { error: syntax }
      : elsewhere
        ? {
            error: {
              code: 404,
              reason: 'notFound',
              message: `Not found: Dataset ${projectId}:${elsewhere} was not found in location ${location}`,
            },
          }
        : await handler({ projectId, sql, params: decodeParams(body), body });
    const job: FakeJob = {
      id: jobId,
      projectId,
      location,
      readyAt: Date.now() + (outcome.delayMs ?? 0),
      outcome,
    };
    jobs.set(jobId, job);
    return job;
  }

  /** Waits like BigQuery does: until the job is done or the caller's `timeoutMs` (default 10 s) elapses. */
  async function results(job: FakeJob, timeoutMs: unknown, startIndex: number, ts: boolean, max?: number) {
    await sleep(Math.min(job.readyAt - Date.now(), timeoutMs === undefined ? 10_000 : Number(timeoutMs)));
    const jobReference = { projectId: job.projectId, jobId: job.id, location: job.location };
    if (stopped(job) && Date.now() >= (job.cancelAt ?? 0))
      fail(400, 'stopped', 'Job execution was cancelled');
    if (Date.now() < job.readyAt)
      return { kind: 'bigquery#getQueryResultsResponse', jobComplete: false, jobReference };
    const outcome = job.outcome;
    if ('error' in outcome) throw new HttpError(outcome.error);
    if ('dmlAffectedRows' in outcome)
      return { jobComplete: true, jobReference, numDmlAffectedRows: String(outcome.dmlAffectedRows) };
    const fields = legacyFields('schema' in outcome ? outcome.schema : []);
    const all = 'rows' in outcome ? outcome.rows : [];
    const end = Math.min(all.length, startIndex + Math.min(max ?? pageSize, pageSize));
    const rows = all
      .slice(startIndex, end)
      .map((r) => ({ f: fields.map((f, i) => ({ v: encodeValue(f, r[i], ts) })) }));
    return {
      kind: 'bigquery#getQueryResultsResponse',
      jobComplete: true,
      jobReference,
      schema: { fields },
      rows,
      totalRows: String(all.length),
      ...(end < all.length ? { pageToken: `page-${end}` } : {}),
    };
  }

  /** jobs.get of a query job: like BigQuery, its results live in an anonymous destination table. */
  function queryJobResource(job: FakeJob): Json {
    const cancelled = stopped(job);
    const done = Date.now() >= Math.min(job.readyAt, cancelled ? (job.cancelAt ?? 0) : Infinity);
    const dml =
      'dmlAffectedRows' in job.outcome && done && !cancelled ? job.outcome.dmlAffectedRows : undefined;
    const failed = 'error' in job.outcome ? job.outcome.error : undefined;
    const error = cancelled
      ? { reason: 'stopped', message: 'Job execution was cancelled' }
      : failed && { reason: failed.reason, message: failed.message };
    return {
      kind: 'bigquery#job',
      id: `${job.projectId}:${job.location}.${job.id}`,
      jobReference: { projectId: job.projectId, jobId: job.id, location: job.location },
      configuration: {
        jobType: 'QUERY',
        query: { destinationTable: { projectId: job.projectId, ...anonymousTable(job.id) } },
      },
      status: {
        state: done ? 'DONE' : 'RUNNING',
        ...(done && error ? { errorResult: error, errors: [error] } : {}),
      },
      ...(dml === undefined ? {} : { statistics: { query: { numDmlAffectedRows: String(dml) } } }),
    };
  }

  async function route(req: RecordedRequest, rest: string, projectId: string) {
    const { method, query: q } = req;
    const body = (req.body ?? {}) as Json;
    const ts = (v: unknown) => v === true || v === 'true';
    let m: RegExpExecArray | null;
    if (method === 'POST' && rest === 'queries') {
      const location = String(body.location ?? defaultLocation);
      const job = await startJob(projectId, body, `job_${randomUUID().replace(/-/g, '')}`, location);
      const formatOptions = body.formatOptions as { useInt64Timestamp?: boolean } | undefined;
      const res: Json = await results(
        job,
        body.timeoutMs,
        0,
        ts(formatOptions?.useInt64Timestamp),
        body.maxResults as number,
      );
      const stateless = body.jobCreationMode === 'JOB_CREATION_OPTIONAL' && res.jobComplete && !res.pageToken;
      if (!stateless) return { ...res, kind: 'bigquery#queryResponse' };
      const { jobReference: _omit, ...rest2 } = res;
      return { ...rest2, kind: 'bigquery#queryResponse', queryId: job.id };
    }
    if (method === 'GET' && (m = /^queries\/([^/]+)$/.exec(rest))) {
      const job = jobs.get(m[1]) ?? notFound(`Job ${projectId}:${m[1]}`);
      const start = q.pageToken ? Number(q.pageToken.slice(5)) : Number(q.startIndex ?? 0);
      const max = q.maxResults ? Number(q.maxResults) : undefined;
      return results(job, q.timeoutMs, start, ts(q['formatOptions.useInt64Timestamp']), max);
    }
    if (method === 'GET' && (m = /^jobs\/([^/]+)$/.exec(rest))) {
      const job = jobs.get(m[1]);
      if (job) return queryJobResource(job);
      return loadJobs.get(m[1]) ?? notFound(`Job ${projectId}:${m[1]}`);
    }
    if (method === 'POST' && (m = /^jobs\/([^/]+)\/cancel$/.exec(rest))) {
      const job = jobs.get(m[1]) ?? notFound(`Job ${projectId}:${m[1]}`);
      job.cancelAt ??= Date.now() + (job.outcome.cancelLagMs ?? 0);
      return { kind: 'bigquery#jobCancelResponse', job: { jobReference: { projectId, jobId: job.id } } };
    }
    const answered = catalog.route(req, rest, projectId);
    if (answered !== NOT_ROUTED) return answered;
    fail(400, 'unsupportedRoute', `fake BigQuery: no route for ${method} ${rest}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readRaw(req);
    const isUpload = url.pathname.startsWith('/upload/');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: isUpload ? raw : parseBody(raw),
      headers: req.headers,
    };
    requests.push(recorded);
    const send = (status: number, payload: unknown) => {
      res.writeHead(
        status,
        payload === undefined ? {} : { 'content-type': 'application/json; charset=UTF-8' },
      );
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    try {
      const early = interceptor?.(recorded);
      if (early) throw new HttpError(early);
      const uploadTo = /^\/upload\/bigquery\/v2\/projects\/([^/]+)\/jobs$/.exec(url.pathname);
      if (uploadTo && recorded.method === 'POST') {
        send(200, loadJobs.upload(uploadTo[1], raw, req.headers['content-type']));
        return;
      }
      const m = /^\/bigquery\/v2\/projects\/([^/]+)\/(.+)$/.exec(url.pathname) ?? notFound(url.pathname);
      const payload = await route(recorded, m[2], m[1]);
      send(payload === undefined ? 204 : 200, payload);
    } catch (e) {
      const f =
        e instanceof HttpError ? e.failure : { code: 500, reason: 'internalError', message: String(e) };
      const errors = [{ message: f.message, domain: 'global', reason: f.reason }];
      const status = STATUS[f.code] ?? 'INTERNAL';
      send(f.code, { error: { code: f.code, message: f.message, errors, status } });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    loads: loadJobs.loads,
    onQuery: (h) => void (handler = h),
    onLoad: (h) => void (loadJobs.handler = h),
    intercept: (i) => void (interceptor = i),
    result: (fields, rows) => ({ schema: fields, rows }),
    destination(datasetId, tableId) {
      const job = [...jobs.values()].find((j) => {
        const t = anonymousTable(j.id);
        return t.datasetId === datasetId && t.tableId === tableId;
      });
      const outcome = job?.outcome;
      return outcome && 'rows' in outcome ? { schema: outcome.schema, rows: outcome.rows } : undefined;
    },
    table: (ds, t) => catalog.table(ds, t),
    seedTable(ds, t, fields, type = 'TABLE') {
      if (!catalog.has(ds)) catalog.putDataset(seedProject, { datasetReference: { datasetId: ds } });
      getDataset(ds).tables.set(t, catalog.tableResource(seedProject, ds, t, { schema: { fields } }, type));
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
