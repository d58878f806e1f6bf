import { randomUUID } from 'node:crypto';
import type { BigQuery, QueryParameter, TableRow } from '@google-cloud/bigquery';
import { answeredByJob, DeadlineExceeded, WriteOutcomeUnknown } from './bigquery-errors.js';
import type { DestinationTable } from './storage-read.js';
import type { WireField } from './wire-values.js';

export interface JobsQueryRequest {
  sql: string;
  params: QueryParameter[];
  timeoutMs: number;
  maximumBytesBilled?: number;
  labels?: Record<string, string>;
  location?: string;
  /** A write (DML): a job cancelled at the deadline may still commit, so its final state is read. */
  write?: boolean;
}

export interface JobsQueryResult {
  fields: WireField[];
  rows: TableRow[];
  numDmlAffectedRows: number;
  /** Rows of the whole result, every page (a SELECT's). */
  totalRows: number;
  /** With `firstPageOnly`, when results are left after the first page; `rows` has the first page only. */
  rest?: ResultsRest;
}

/** The results a `firstPageOnly` call left: the job holding them, the next page, the call's deadline. */
export interface ResultsRest {
  job: JobReference;
  pageToken: string;
  /** Epoch ms. */
  deadline: number;
  /** The call's time limit, for the timeout error. */
  timeoutMs: number;
}

export interface JobReference {
  jobId: string;
  location?: string;
}

interface QueryResponse {
  jobComplete?: boolean;
  jobReference?: JobReference;
  queryId?: string;
  schema?: { fields?: WireField[] };
  rows?: TableRow[];
  pageToken?: string;
  numDmlAffectedRows?: string;
  totalRows?: string;
}

/** The jobs.get fields that tell how a job ended. */
interface JobState {
  status?: { state?: string; errorResult?: unknown };
  statistics?: { query?: { numDmlAffectedRows?: string } };
}

type RequestOptions = Parameters<BigQuery['request']>[0];

/**
 * How long past the deadline an HTTP answer may still arrive: BigQuery answers a `timeoutMs` wait
 * itself, so this only covers network latency and a server that never answers.
 */
const ANSWER_GRACE_MS = 2_000;
/**
 * BigQuery does not promise to hold a getQueryResults call for its `timeoutMs` (it may answer an
 * unfinished job at once): polls answered that early are spaced by this pause, doubling up to the
 * cap, so a long job costs a few requests a second at most instead of a tight loop of them, each
 * counted against the project's API request quota.
 */
const POLL_PAUSE_MS = 100;
const POLL_PAUSE_CAP_MS = 1_000;
/**
 * How long a cancelled write is watched for its end (jobs.get): BigQuery cancels asynchronously
 * and a job about to commit commits anyway. Past this, whether it wrote is unknown.
 */
const SETTLE_MS = 10_000;

/**
 * Runs one statement through jobs.query and getQueryResults, on the client library's
 * authenticated transport (`bigquery.request`: endpoint, token, retries). Neither
 * `bigquery.query()` nor `createQueryJob()` can send `jobTimeoutMs` on jobs.query (the former
 * silently falls back to jobs.insert when given it), expose `numDmlAffectedRows`, or let the
 * caller cancel the job it abandons, so the REST calls are made here.
 *
 * One deadline covers the whole call: `timeoutMs` tells BigQuery how long to hold the answer,
 * `jobTimeoutMs` makes BigQuery stop the job itself, and a job still running at the deadline is
 * cancelled before WAREHOUSE_TIMEOUT is raised.
 */
export class JobsQuery {
  constructor(private readonly bq: BigQuery) {}

  async run(req: JobsQueryRequest, { firstPageOnly = false } = {}): Promise<JobsQueryResult> {
    const deadline = Date.now() + req.timeoutMs;
    const body = {
      query: req.sql,
      useLegacySql: false,
      ...(req.params.length > 0 ? { parameterMode: 'NAMED', queryParameters: req.params } : {}),
      // Short queries then run without a job resource; BigQuery still creates one when it must.
      jobCreationMode: 'JOB_CREATION_OPTIONAL',
      timeoutMs: req.timeoutMs,
      jobTimeoutMs: String(req.timeoutMs),
      ...(req.maximumBytesBilled === undefined ? {} : { maximumBytesBilled: String(req.maximumBytesBilled) }),
      ...(req.labels ? { labels: req.labels } : {}),
      ...(req.location ? { location: req.location } : {}),
      formatOptions: { useInt64Timestamp: true },
      // Makes the client's automatic retry of a lost answer idempotent.
      requestId: randomUUID(),
    };
    let asked = Date.now();
    // Unanswered, a write's job is unknown to the caller (no reference to read it by): it may commit.
    let res = await this.call({ method: 'POST', uri: '/queries', json: body }, deadline, req.timeoutMs).catch(
      (e: unknown) => {
        if (!req.write || answeredByJob(e)) throw e;
        throw e instanceof DeadlineExceeded
          ? new DeadlineExceeded(req.timeoutMs, true)
          : new WriteOutcomeUnknown(e);
      },
    );
    const job = res.jobReference;
    let pause = POLL_PAUSE_MS;
    // Until the job is done: an unfinished job's answer holds no rows yet.
    while (res.jobComplete !== true) {
      if (!job) throw new Error('jobs.query left an unfinished job without a job reference');
      const early = Math.min(asked + pause, deadline) - Date.now();
      if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
      pause = Math.min(pause * 2, POLL_PAUSE_CAP_MS);
      asked = Date.now();
      res =
        deadline <= Date.now()
          ? await this.abandon(job, req)
          : await this.getQueryResults(job, deadline, req.timeoutMs).catch((e: unknown) => {
              if (e instanceof DeadlineExceeded) return this.abandon(job, req);
              // A poll that failed in transit says nothing of the job, which runs on: a write's end is read.
              if (req.write && !answeredByJob(e)) return this.abandon(job, req, e);
              throw e;
            });
    }
    const result: JobsQueryResult = {
      fields: res.schema?.fields ?? [],
      rows: res.rows ?? [],
      numDmlAffectedRows: Number(res.numDmlAffectedRows ?? 0),
      totalRows: Number(res.totalRows ?? res.rows?.length ?? 0),
    };
    if (!res.pageToken) return result;
    if (!job) throw new Error('jobs.query left results behind without a job reference');
    const rest = { job, pageToken: res.pageToken, deadline, timeoutMs: req.timeoutMs };
    if (firstPageOnly) return { ...result, rest };
    return { ...result, rows: [...result.rows, ...(await this.remainingRows(rest))] };
  }

  /** The rest of a `firstPageOnly` result through getQueryResults, a page at a time. */
  async remainingRows(rest: ResultsRest): Promise<TableRow[]> {
    const rows: TableRow[] = [];
    let pageToken: string | undefined = rest.pageToken;
    while (pageToken) {
      if (rest.deadline <= Date.now()) throw new DeadlineExceeded(rest.timeoutMs);
      const res = await this.getQueryResults(rest.job, rest.deadline, rest.timeoutMs, pageToken);
      for (const row of res.rows ?? []) rows.push(row);
      pageToken = res.pageToken;
    }
    return rows;
  }

  /** Where the job wrote its results (jobs.get): the table the Storage Read API reads them from. */
  async destinationTable(rest: ResultsRest): Promise<DestinationTable> {
    const qs = rest.job.location ? { location: rest.job.location } : undefined;
    const res = (await this.call(
      { uri: `/jobs/${encodeURIComponent(rest.job.jobId)}`, qs },
      rest.deadline,
      rest.timeoutMs,
    )) as { configuration?: { query?: { destinationTable?: DestinationTable } } };
    const table = res.configuration?.query?.destinationTable;
    if (!table) throw new Error(`Job ${rest.job.jobId} has no destination table`);
    return table;
  }

  /** One getQueryResults call: waits for the job until the deadline, then answers a page. */
  private getQueryResults(
    job: JobReference,
    deadline: number,
    timeoutMs: number,
    pageToken?: string,
  ): Promise<QueryResponse> {
    const qs = {
      ...(job.location ? { location: job.location } : {}),
      ...(pageToken ? { pageToken } : {}),
      // Never negative: a timer that fired a little early would otherwise ask for -1 (a 400).
      timeoutMs: Math.max(0, deadline - Date.now()),
      'formatOptions.useInt64Timestamp': true,
    };
    return this.call({ uri: `/queries/${encodeURIComponent(job.jobId)}`, qs }, deadline, timeoutMs);
  }

  /**
   * Cancels a job past its deadline. A cancel is only a request, which a job about to commit
   * outruns: for a write, the job's final state (jobs.get) then tells what happened. Done without
   * an error, it wrote: its answer is returned as if in time. Done with one (stopped), it wrote
   * nothing: WAREHOUSE_TIMEOUT. Still running after SETTLE_MS (or unreadable), nobody can tell:
   * WAREHOUSE_TIMEOUT marked `write_outcome: 'unknown'`, which no caller may read as "unchanged".
   * `failure`: a poll that failed in transit before the deadline, raised (so marked) instead.
   */
  private async abandon(job: JobReference, req: JobsQueryRequest, failure?: unknown): Promise<QueryResponse> {
    await this.cancel(job);
    if (!req.write) throw new DeadlineExceeded(req.timeoutMs);
    const settleBy = Date.now() + SETTLE_MS;
    const qs = job.location ? { location: job.location } : undefined;
    for (let pause = POLL_PAUSE_MS; ; pause = Math.min(pause * 2, POLL_PAUSE_CAP_MS)) {
      const uri = `/jobs/${encodeURIComponent(job.jobId)}`;
      const state = (await this.call({ uri, qs }, settleBy, SETTLE_MS).catch(() => ({}))) as JobState;
      if (state.status?.state === 'DONE') {
        if (state.status.errorResult) throw failure ?? new DeadlineExceeded(req.timeoutMs);
        return { jobComplete: true, numDmlAffectedRows: state.statistics?.query?.numDmlAffectedRows };
      }
      if (Date.now() + pause >= settleBy)
        throw failure === undefined
          ? new DeadlineExceeded(req.timeoutMs, true)
          : new WriteOutcomeUnknown(failure);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Best effort: the job also stops by itself at `jobTimeoutMs`. */
  private async cancel(job: JobReference): Promise<void> {
    const reqOpts = { method: 'POST', uri: `/jobs/${encodeURIComponent(job.jobId)}/cancel`, maxRetries: 0 };
    const qs = job.location ? { location: job.location } : undefined;
    await this.call({ ...reqOpts, qs }, Date.now(), 0).catch(() => undefined);
  }

  private call(reqOpts: RequestOptions, deadline: number, timeoutMs: number): Promise<QueryResponse> {
    return new Promise<QueryResponse>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DeadlineExceeded(timeoutMs)),
        Math.max(0, deadline - Date.now()) + ANSWER_GRACE_MS,
      );
      this.bq.request(reqOpts, (err, body) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve((body ?? {}) as QueryResponse);
      });
    });
  }
}
