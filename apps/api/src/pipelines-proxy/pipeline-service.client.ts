import { setMaxListeners } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, scrubSecrets, ShutdownState } from '#platform';
import { CircuitBreakers, CircuitOpenError } from './circuit-breakers.js';
import { PIPELINE_PROXY_OPTIONS, type PipelineProxyOptions } from './pipeline-proxy.options.js';
import { type AttemptOutcome, postOnce } from './upstream-post.js';
import { pipelineServiceUrl } from '../common/pipeline-service-url.js';

export interface PipelineRunRequest {
  org: string;
  /** The segments after the org, as the pipeline service reads them (category/…/pipeline). */
  segments: string[];
  /** The org key the run is made with. */
  apiKey: string;
  requestId: string;
  /** Sent on every attempt of this call, so the service can tell a retry from a new run. */
  idempotencyKey: string;
  body?: Record<string, string>;
}

/** How a call ended, after any retries. */
export type PipelineCallResult =
  | {
      kind: 'response';
      status: number;
      headers: IncomingHttpHeaders;
      json: unknown;
      /** The service's explanation (`detail`, `message` or `error`, else the body text), ≤ 500 characters. */
      detail: string | null;
    }
  | { kind: 'circuit_open'; retryAfterSeconds: number }
  /** `connect`: no connection was made in time, so nothing was sent (the run was not started). */
  | { kind: 'timeout'; phase: 'connect' | 'response' }
  | { kind: 'unreachable' }
  | { kind: 'failed' };

/**
 * A call that never reached the service: no run can have started. Anything else (an answer, a
 * timeout, a cut connection) may have started one, which the org's daily status must then show.
 */
export function notStarted(result: PipelineCallResult): boolean {
  return (
    result.kind === 'unreachable' ||
    result.kind === 'circuit_open' ||
    (result.kind === 'timeout' && result.phase === 'connect')
  );
}

const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Why an attempt may be made again, or null when a retry could start a second run: only when
 * nothing reached the service (the connection was refused or never completed), a kept-alive
 * connection was reset before any answer (the service closed it as idle: uvicorn does after 5 s,
 * without announcing it), or it answered 502/503/504; the same Idempotency-Key makes the last two
 * safe to repeat.
 */
export function retryReason(outcome: AttemptOutcome): string | null {
  if (outcome.kind === 'not_sent') return `could not connect (${outcome.code})`;
  if (outcome.kind === 'failed' && outcome.staleSocket)
    return `reset the kept-alive connection (${outcome.code})`;
  if (outcome.kind === 'timeout' && outcome.phase === 'connect') return 'could not connect in time';
  if (outcome.kind === 'response' && RETRYABLE_STATUSES.has(outcome.status))
    return `answered ${outcome.status}`;
  return null;
}

/** A response's Retry-After in milliseconds (the delay-seconds form), or null. */
function retryAfterMs(outcome: AttemptOutcome): number | null {
  if (outcome.kind !== 'response') return null;
  const seconds = retryAfterSeconds(outcome.headers['retry-after']);
  return seconds === null ? null : seconds * 1000;
}

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * A Retry-After header in seconds from now, in either of its forms (RFC 9110 §10.2.3): a number
 * of seconds, or an HTTP date (0 once past). Null when absent or unreadable.
 */
export function retryAfterSeconds(value: string | string[] | undefined, now = Date.now()): number | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  // The IMF-fixdate form senders must use (`Sun, 06 Nov 1994 08:49:37 GMT`); Date.parse alone
  // would also read garbage such as "May 5" or "x-1".
  const at = IMF_FIXDATE.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Makes a breaker count the call as failed while still carrying its result to the caller. */
class UpstreamFailure extends Error {
  constructor(readonly result: PipelineCallResult) {
    super(`pipeline service call failed: ${result.kind}`);
  }
}

function toResult(outcome: AttemptOutcome): PipelineCallResult {
  switch (outcome.kind) {
    case 'response': {
      const text = outcome.body.toString('utf8');
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        // a non-JSON body is still an answer; callers fall back to its text
      }
      return {
        kind: 'response',
        status: outcome.status,
        headers: outcome.headers,
        json,
        detail: detailOf(json, text),
      };
    }
    case 'not_sent':
      return { kind: 'unreachable' };
    case 'timeout':
      return { kind: 'timeout', phase: outcome.phase };
    case 'failed':
      return { kind: 'failed' };
  }
}

/**
 * Calls `POST {PIPELINE_SERVICE_URL}/api/v1/pipelines/run/{org}/...` behind a circuit breaker.
 *
 * A retry must never start a second run, so only these cases are retried: the connection was never
 * made (nothing was sent), a kept-alive connection reset before any answer (closed as idle by the
 * service), and a 502/503/504 from a gateway, the last two with the same Idempotency-Key. A timeout
 * or any other failure may have started the run and is returned as is.
 */
@Injectable()
export class PipelineServiceClient implements OnApplicationShutdown {
  private readonly logger = new Logger(PipelineServiceClient.name);
  private readonly baseUrl: URL;
  private readonly agent: http.Agent;
  private readonly breakers: CircuitBreakers;
  /** Aborted when the shutdown's grace is nearly over (ShutdownState.nearGraceEnd). */
  private readonly stopping = new AbortController();
  private readonly disarmCut: () => void;

  constructor(
    private readonly config: AppConfig,
    @Inject(PIPELINE_PROXY_OPTIONS) private readonly options: PipelineProxyOptions,
    shutdown: ShutdownState,
  ) {
    this.baseUrl = new URL(config.env.PIPELINE_SERVICE_URL);
    // `timeout` is the idle limit of a free (kept-alive) socket: Node's agent destroys one unused
    // that long (or sooner when the service's Keep-Alive header asks); a call in flight is bounded
    // by postOnce's own timers instead.
    const agentOptions = {
      keepAlive: true,
      maxSockets: 100,
      maxFreeSockets: 20,
      timeout: options.freeSocketTimeoutMs,
    };
    this.agent =
      this.baseUrl.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    // One abort listener per call in flight (removed when it ends): run-all's fan-out passes the
    // default of 10, which is no leak.
    setMaxListeners(0, this.stopping.signal);
    this.breakers = new CircuitBreakers(
      options.breaker,
      (err) => err instanceof UpstreamFailure && upstreamDown(err.result),
      (err) => err instanceof UpstreamFailure,
    );
    // A call to the service may take up to a minute, longer than the platform lets a stopping
    // instance live: calls still waiting near the end of the grace are cut, so their callers get an
    // answer (504: the run may have started) and run-all records its batch, instead of the process
    // being stopped with them and their connections dropped.
    this.disarmCut = shutdown.nearGraceEnd(
      this.config.env.SHUTDOWN_GRACE_MS,
      this.options.shutdownMarginMs,
      () => this.stopping.abort(),
    );
  }

  get upstream(): string {
    return this.baseUrl.origin;
  }

  async run(req: PipelineRunRequest): Promise<PipelineCallResult> {
    try {
      return await this.breakers.run(this.upstream, req.org, async () => {
        const result = await this.withRetries(req);
        if (isFailure(result)) throw new UpstreamFailure(result);
        return result;
      });
    } catch (err) {
      if (err instanceof UpstreamFailure) return err.result;
      if (err instanceof CircuitOpenError)
        return { kind: 'circuit_open', retryAfterSeconds: err.retryAfterSeconds };
      throw err;
    }
  }

  onApplicationShutdown(): void {
    this.disarmCut();
    this.stopping.abort();
    this.breakers.shutdown();
    this.agent.destroy();
  }

  private async withRetries(req: PipelineRunRequest): Promise<PipelineCallResult> {
    const url = this.urlFor(req);
    const body = JSON.stringify(req.body ?? {});
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-API-Key': req.apiKey,
      'X-Request-ID': req.requestId,
      'Idempotency-Key': req.idempotencyKey,
    };
    // The last answer the service gave (or a reset connection it may have read the request on): an
    // attempt that follows it and cannot connect must not report the run as never started, since
    // that attempt (a gateway's 504) may have started it.
    let answered: AttemptOutcome | undefined;
    // One deadline for the attempts and the waits between them: the caller's connection is silent
    // meanwhile, and closed after CONNECTION_IDLE_TIMEOUT_MS (3 attempts of a minute outlast it).
    const deadline = Date.now() + this.config.pipelineServiceDeadlineMs;
    for (let attempt = 1; ; attempt++) {
      const left = Math.max(1, deadline - Date.now());
      const outcome = await postOnce(url, {
        agent: this.agent,
        headers,
        body,
        connectTimeoutMs: Math.min(this.options.connectTimeoutMs, left),
        requestTimeoutMs: Math.min(this.options.requestTimeoutMs, left),
        maxResponseBytes: this.options.maxResponseBytes,
        signal: this.stopping.signal,
      });
      if (outcome.kind === 'response' || outcome.kind === 'failed') answered = outcome;
      if (outcome.kind === 'response' && outcome.oversized)
        this.logger.warn(
          `Pipeline service answered HTTP ${outcome.status} with a body over ${this.options.maxResponseBytes} bytes (request ${req.requestId}); body dropped`,
        );
      const reason = retryReason(outcome);
      const delay = this.retryDelay(attempt);
      if (
        reason === null ||
        attempt >= this.options.maxAttempts ||
        this.stopping.signal.aborted ||
        Date.now() + delay >= deadline
      )
        return toResult(nothingSent(outcome) && answered ? answered : outcome);
      // The service said when to come back, later than this retry would: its answer (with that
      // Retry-After) goes to the caller now instead of knocking again too early.
      const asked = retryAfterMs(outcome);
      if (asked !== null && asked > delay) return toResult(outcome);
      this.logger.warn(
        `Pipeline service ${reason} on attempt ${attempt}/${this.options.maxAttempts} (request ${req.requestId}); retrying in ${delay} ms`,
      );
      await sleep(delay);
    }
  }

  private retryDelay(attempt: number): number {
    const delays = this.options.retryDelaysMs;
    return delays[Math.min(attempt - 1, delays.length - 1)] ?? 0;
  }

  private urlFor(req: PipelineRunRequest): URL {
    const path = [req.org, ...req.segments].map(encodeURIComponent).join('/');
    return pipelineServiceUrl(this.baseUrl, `/api/v1/pipelines/run/${path}`);
  }
}

const MAX_DETAIL = 500;

/**
 * What of an upstream text is scrubbed: far more than is shown, so a secret that starts within
 * what is shown is whole when it is masked, and never a whole body of up to a megabyte.
 */
const SCRUBBED_DETAIL = 8 * MAX_DETAIL;
/** A key the cut split may be too short to be recognised: this much of the cut end is dropped. */
const CUT_MARGIN = 256;

/** Upstream text as it may reach a caller: anything that looks like a key or a credential masked, cut short. */
export function upstreamDetail(text: string): string {
  if (text.length <= SCRUBBED_DETAIL) return scrubSecrets(text).slice(0, MAX_DETAIL);
  const scrubbed = scrubSecrets(text.slice(0, SCRUBBED_DETAIL));
  return scrubbed.slice(0, Math.max(0, Math.min(MAX_DETAIL, scrubbed.length - CUT_MARGIN)));
}

function detailOf(json: unknown, text: string): string | null {
  const o = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const field = o.detail ?? o.message ?? o.error;
  const detail =
    field === undefined || field === null
      ? // A plain-text reason is passed on; a page (a gateway's or a proxy's HTML) explains nothing.
        /^\s*</.test(text)
        ? ''
        : text.trim()
      : typeof field === 'string'
        ? field
        : writtenOut(field);
  return detail ? upstreamDetail(detail) : null;
}

/**
 * A parsed value as JSON text, or '' (no explanation) when it cannot be written out: JSON.parse
 * reads nesting of any depth, JSON.stringify overflows the stack on a few thousand levels, and
 * the RangeError turned whatever the service answered (a run started included) into a 500.
 */
function writtenOut(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '';
  }
}

/**
 * A failure that says the service itself is failing, for every tenant: unreachable, timed out, cut
 * off, or a gateway's 502/503/504. A 500 is the service's answer to that one run.
 */
function upstreamDown(result: PipelineCallResult): boolean {
  return (
    result.kind !== 'response' || result.status === 502 || result.status === 503 || result.status === 504
  );
}

/** An attempt that never reached the service: it could not connect, or not in time. */
function nothingSent(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'not_sent' || (outcome.kind === 'timeout' && outcome.phase === 'connect');
}

function isFailure(result: PipelineCallResult): boolean {
  return result.kind !== 'response' || result.status >= 500;
}
