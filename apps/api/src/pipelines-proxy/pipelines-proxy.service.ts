import { Injectable, Logger } from '@nestjs/common';
import { PipelineStatusCache, type StatusCacheMetrics } from '../pipeline-logs/pipeline-status.cache.js';
import type { TriggerPipelineResponseDto } from './dto/pipeline-trigger.dto.js';
import { upstreamSegments } from './pipeline-path.js';
import {
  notStarted,
  type PipelineCallResult,
  PipelineServiceClient,
  retryAfterSeconds,
  upstreamDetail,
} from './pipeline-service.client.js';
import {
  codeForUpstreamStatus,
  PipelinesProxyError,
  PipelinesProxyErrorCode,
} from './pipelines-proxy.errors.js';

export interface TriggerCommand {
  org: string;
  /** As in the path after the org: provider/domain/pipeline or category/provider/domain/pipeline. */
  segments: string[];
  apiKey: string;
  requestId: string;
  idempotencyKey: string;
  dates: { date?: string; start_date?: string; end_date?: string };
}

type Response = Extract<PipelineCallResult, { kind: 'response' }>;

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * The longest value of each field of the service's answer this API passes on: a run's id is a
 * UUID, a pipeline's id the org and up to four 50-character segments, a status one word.
 */
const ANSWER_FIELDS = { pipeline_logging_id: 128, pipeline_id: 512, status: 64 } as const;

/**
 * The answer's field `name` as passed on: a string of at most its length without control
 * characters, or null when absent (null or empty). Anything else is a broken answer (502) naming
 * the field, never echoed to the caller.
 */
function answerField(data: Record<string, unknown>, name: keyof typeof ANSWER_FIELDS, status: number) {
  const value = data[name];
  if (value === undefined || value === null || value === '') return null;
  const max = ANSWER_FIELDS[name];
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (typeof value === 'string' && value.length <= max && !/[\u0000-\u001f\u007f]/.test(value)) return value;
  throw new PipelinesProxyError(
    PipelinesProxyErrorCode.BadGateway,
    `Pipeline service error: HTTP ${status} with an unreadable ${name} (not a string of at most ${max} characters); ${MAY_HAVE_STARTED}`,
    { extra: { upstream_status: status, field: name }, publicDetail: true },
  );
}

/** The service's Retry-After, as seconds (an HTTP date is turned into the seconds left). */
function upstreamRetryAfter(res: Response): Record<string, string> {
  const seconds = retryAfterSeconds(res.headers['retry-after']);
  return seconds === null ? {} : { 'Retry-After': String(seconds) };
}

@Injectable()
export class PipelinesProxyService {
  private readonly logger = new Logger(PipelinesProxyService.name);

  constructor(
    private readonly client: PipelineServiceClient,
    private readonly statusCache: PipelineStatusCache,
  ) {}

  cacheMetrics(org?: string): StatusCacheMetrics {
    return this.statusCache.metrics(org);
  }

  async trigger(cmd: TriggerCommand): Promise<TriggerPipelineResponseDto> {
    const segments = upstreamSegments(cmd.segments);
    // Only the dates given, as the pipeline service's run request names them.
    const body: Record<string, string> = {};
    for (const [name, value] of Object.entries(cmd.dates)) if (value) body[name] = value;
    const result = await this.client.run({
      org: cmd.org,
      segments,
      apiKey: cmd.apiKey,
      requestId: cmd.requestId,
      idempotencyKey: cmd.idempotencyKey,
      body,
    });
    // A new run changes what the daily status reports. Whatever reached the service may have
    // started one (a timeout, a cut connection, a gateway's 504, an unreadable answer), and such an
    // answer tells the caller to check that status before triggering again: it must be read afresh.
    if (!notStarted(result)) await this.statusCache.invalidateOrg(cmd.org);
    if (result.kind !== 'response') throw failure(result);
    if (result.status < 200 || result.status > 299)
      throw refusal(result, (detail) =>
        this.logger.warn(`Pipeline service answered HTTP ${result.status} to a run of ${cmd.org}: ${detail}`),
      );
    // The pipeline service answers a JSON object: anything else (an HTML page of a proxy in
    // between, a truncated body) says nothing of the run, so it is not reported as triggered.
    if (typeof result.json !== 'object' || result.json === null || Array.isArray(result.json))
      throw new PipelinesProxyError(
        PipelinesProxyErrorCode.BadGateway,
        `Pipeline service error: HTTP ${result.status} without a JSON object body; ${MAY_HAVE_STARTED}`,
        { extra: { upstream_status: result.status }, publicDetail: true },
      );
    const data = result.json as Record<string, unknown>;
    return {
      pipeline_logging_id: answerField(data, 'pipeline_logging_id', result.status),
      pipeline_id: answerField(data, 'pipeline_id', result.status) ?? segments.join('/'),
      org_slug: cmd.org,
      status: answerField(data, 'status', result.status) ?? 'PENDING',
      // Upstream text reaching the caller: masked and cut like every upstream detail.
      message: upstreamDetail(str(data.message) ?? 'Pipeline triggered successfully'),
      request_id: cmd.requestId,
    };
  }
}

/** What a caller must know when the run's fate is unknown: a blind retry could start a second one. */
const MAY_HAVE_STARTED =
  'the run may or may not have started: check the pipeline status before triggering it again.';

/** A JSON body's string `detail`, secrets masked and cut as every upstream detail is. */
function writtenDetail(json: unknown): string | null {
  const detail =
    typeof json === 'object' && json !== null ? (json as { detail?: unknown }).detail : undefined;
  return typeof detail === 'string' && detail.trim() !== '' ? upstreamDetail(detail) : null;
}

/**
 * The caller's error for a non-2xx answer. `unexplained` is told what the service said when that
 * is no reason the caller may see, so that it stays in the log (masked and cut as a detail is).
 */
function refusal(res: Response, unexplained: (detail: string) => void): PipelinesProxyError {
  const extra = { upstream_status: res.status };
  if (res.status === 429)
    return new PipelinesProxyError(
      PipelinesProxyErrorCode.RateLimited,
      res.detail ?? 'Pipeline rate limit exceeded',
      { extra, headers: upstreamRetryAfter(res) },
    );
  // The reference's contract: the upstream's reason reaches the caller: a 4xx's, and a 5xx's when
  // the service wrote one for it (a JSON string `detail`, FastAPI's form). Anything else (a
  // redirect's page, a crash's text or error object) is no explanation and stays in the log.
  const told = res.status >= 400 && res.status < 500 ? res.detail : writtenDetail(res.json);
  if (told === null) unexplained(res.detail ?? 'no body');
  return new PipelinesProxyError(
    codeForUpstreamStatus(res.status),
    `Pipeline service error: ${told ?? `HTTP ${res.status}`}`,
    // A 503's Retry-After (maintenance, overload) is the service's own word on when to come back.
    // A 401 (the caller's key refused by the service: revoked while the run was on its way) carries
    // the challenge every 401 of this API carries (RFC 9110 §15.5.2), as the OpenAPI document says.
    {
      extra,
      publicDetail: true,
      headers: {
        ...upstreamRetryAfter(res),
        ...(res.status === 401 ? { 'WWW-Authenticate': 'ApiKey' } : {}),
      },
    },
  );
}

function failure(result: Exclude<PipelineCallResult, Response>): PipelinesProxyError {
  switch (result.kind) {
    case 'circuit_open':
      return new PipelinesProxyError(
        PipelinesProxyErrorCode.CircuitOpen,
        `The pipeline service failed repeatedly; retry in ${result.retryAfterSeconds} s.`,
        {
          headers: { 'Retry-After': String(result.retryAfterSeconds) },
          extra: { retry_after_seconds: result.retryAfterSeconds },
          publicDetail: true,
        },
      );
    case 'timeout':
      return new PipelinesProxyError(
        PipelinesProxyErrorCode.Timeout,
        result.phase === 'connect'
          ? 'Pipeline service did not accept the connection in time; the run was not started.'
          : `Pipeline service timed out; ${MAY_HAVE_STARTED}`,
        { publicDetail: true },
      );
    case 'unreachable':
      return new PipelinesProxyError(
        PipelinesProxyErrorCode.Unreachable,
        'Failed to connect to pipeline service; the run was not started.',
        { publicDetail: true },
      );
    case 'failed':
      return new PipelinesProxyError(
        PipelinesProxyErrorCode.BadGateway,
        `The pipeline service connection failed after the request was sent; ${MAY_HAVE_STARTED}`,
        { publicDetail: true },
      );
  }
}
