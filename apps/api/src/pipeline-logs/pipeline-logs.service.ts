import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { DownloadFormat } from './dto/pipeline-logs-query.dto.js';
import type {
  BatchRunListDto,
  PipelineDailyStatusDto,
  PipelineRunDetailDto,
  PipelineRunListDto,
  PipelineStatusDto,
  RetryRunResponseDto,
  StateTransitionListDto,
  StepLogListDto,
} from './dto/pipeline-logs-response.dto.js';
import { PipelineLogsError, PipelineLogsErrorCode } from './pipeline-logs.errors.js';
import {
  type LatestRunRow,
  type Page,
  PipelineLogsRepository,
  type RunFilters,
  type StepRow,
} from './pipeline-logs.repository.js';
import { PipelineStatusCache } from './pipeline-status.cache.js';
import { runDetailCsv, runDetailJson } from './run-download.js';
import { toBatchRun, toRun, toRunDetail, toStep, toTransition } from './run-records.js';

/** The daily pipelines the dashboard checks on login, with the path the pipeline service runs them by. */
export const KNOWN_DAILY_PIPELINES = [
  { id: 'subscription_costs', path: 'subscription/costs/subscription_cost' },
] as const;

const RETRYABLE_STATUSES = new Set(['FAILED', 'COMPLETED']);
/** Steps of one run are few; a run detail lists them up to this bound, and says how many there are. */
const MAX_DETAIL_STEPS = 1000;
/** Steps a download reads at a time: it sends every step of the run, holding one page of them. */
const DOWNLOAD_STEP_PAGE = 500;
const DAY_MS = 86_400_000;

export interface Download {
  filename: string;
  contentType: string;
  /** Written as the steps are read; fails (and the response is cut off) if a later page cannot be. */
  body: Readable;
}

/** Run ids as stored by the pipeline service: the path itself, or `{org}-{path with dashes}`. */
function matchesPath(pipelineId: string, path: string): boolean {
  return pipelineId.includes(path) || pipelineId.includes(path.replace(/\//g, '-'));
}

/** Text order by code unit, as the warehouse sorts STRING (run ids are printable ASCII). */
const textOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function dailyStatus(id: string, runs: LatestRunRow[], path: string): PipelineDailyStatusDto {
  // Runs of both id forms may start at the same instant: the later run id decides, as it does
  // between runs of one id (latestRunsBetween), not the order the warehouse returned them in.
  const latest = runs
    .filter((r) => matchesPath(r.pipeline_id, path))
    .sort(
      (a, b) =>
        b.start_time.getTime() - a.start_time.getTime() ||
        textOrder(b.pipeline_logging_id, a.pipeline_logging_id),
    )[0];
  return {
    pipeline_id: id,
    last_run: latest?.start_time.toISOString() ?? null,
    status: latest?.status ?? null,
    ran_today: latest !== undefined,
    succeeded_today: latest?.status === 'COMPLETED',
  };
}

@Injectable()
export class PipelineLogsService {
  constructor(
    private readonly repository: PipelineLogsRepository,
    private readonly statusCache: PipelineStatusCache,
  ) {}

  /** Which daily pipelines ran today (UTC), cached per org and date for a minute. */
  async dailyStatus(org: string, now = new Date()): Promise<PipelineStatusDto> {
    const dayStart = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
    const checkDate = dayStart.toISOString().slice(0, 10);
    const cached = this.statusCache.get(org, checkDate);
    if (cached) return { ...cached, cached: true };
    const mark = this.statusCache.mark();
    const runs = await this.repository.latestRunsBetween(
      org,
      dayStart,
      new Date(dayStart.getTime() + DAY_MS),
    );
    const status = {
      org_slug: org,
      check_date: checkDate,
      pipelines: Object.fromEntries(
        KNOWN_DAILY_PIPELINES.map((p) => [p.id, dailyStatus(p.id, runs, p.path)]),
      ),
    };
    this.statusCache.set(org, checkDate, status, mark);
    return { ...status, cached: false };
  }

  async listRuns(org: string, filters: RunFilters, page: Page): Promise<PipelineRunListDto> {
    const { rows, total } = await this.repository.listRuns(org, filters, page);
    return { runs: rows.map(toRun), total, limit: page.limit, offset: page.offset };
  }

  async runDetail(org: string, runId: string): Promise<PipelineRunDetailDto> {
    const [run, steps] = await Promise.all([
      this.repository.findRun(org, runId),
      this.repository.listSteps(org, runId, undefined, { limit: MAX_DETAIL_STEPS, offset: 0 }),
    ]);
    if (!run) throw notFound(runId);
    return toRunDetail(run, steps.rows, steps.total);
  }

  async listSteps(
    org: string,
    runId: string,
    status: string | undefined,
    page: Page,
  ): Promise<StepLogListDto> {
    const { rows, total } = await this.repository.listSteps(org, runId, status, page);
    return { steps: rows.map(toStep), total, limit: page.limit, offset: page.offset };
  }

  /** Checks that the run may be retried and says how; executing it is the pipeline service's job. */
  async retry(org: string, runId: string): Promise<RetryRunResponseDto> {
    const run = await this.repository.findRun(org, runId);
    if (!run) throw notFound(runId);
    if (!RETRYABLE_STATUSES.has(run.status))
      throw new PipelineLogsError(
        PipelineLogsErrorCode.RunNotRetryable,
        `Cannot retry run with status: ${run.status}. Only FAILED or COMPLETED runs can be retried.`,
      );
    return {
      success: true,
      message: `Retry initiated for pipeline ${run.pipeline_id}. Use the pipeline service to execute: POST /api/v1/pipelines/run/${org}/${run.pipeline_id}`,
      new_pipeline_logging_id: null,
      original_pipeline_logging_id: runId,
    };
  }

  /**
   * The whole run, every step included (a run detail stops at MAX_DETAIL_STEPS), streamed a page
   * of steps at a time. The run and the first page are read before answering, so that an unknown
   * run is a 404 and an unavailable warehouse its error, not a cut-off file.
   */
  async download(org: string, runId: string, format: DownloadFormat): Promise<Download> {
    const firstPage = { limit: DOWNLOAD_STEP_PAGE, offset: 0 };
    const [run, first] = await Promise.all([
      this.repository.findRun(org, runId),
      this.repository.listSteps(org, runId, undefined, firstPage),
    ]);
    if (!run) throw notFound(runId);
    const { steps: _none, ...summary } = toRunDetail(run, [], first.total);
    const pages = this.stepPages(org, runId, first.rows);
    // Token characters only in the header's quoted file name (a run id may hold quotes or slashes).
    const filename = `pipeline_run_${runId.replace(/[^A-Za-z0-9_.:-]/g, '_')}.${format}`;
    return format === 'csv'
      ? {
          filename,
          contentType: 'text/csv; charset=utf-8',
          body: Readable.from(runDetailCsv(summary, pages)),
        }
      : {
          filename,
          contentType: 'application/json; charset=utf-8',
          body: Readable.from(runDetailJson(summary, pages)),
        };
  }

  private async *stepPages(org: string, runId: string, first: StepRow[]) {
    let rows = first;
    for (let offset = 0; ;) {
      yield rows.map(toStep);
      if (rows.length < DOWNLOAD_STEP_PAGE) return;
      offset += DOWNLOAD_STEP_PAGE;
      rows = await this.repository.stepRows(org, runId, undefined, { limit: DOWNLOAD_STEP_PAGE, offset });
    }
  }

  async listTransitions(
    org: string,
    runId: string,
    entityType: string | undefined,
    page: Page,
  ): Promise<StateTransitionListDto> {
    const { rows, total } = await this.repository.listTransitions(org, runId, entityType, page);
    return { transitions: rows.map(toTransition), total, limit: page.limit, offset: page.offset };
  }

  async listBatchRuns(org: string, page: Page): Promise<BatchRunListDto> {
    const { rows, total } = await this.repository.listBatchRuns(org, page);
    return { runs: rows.map((r) => toBatchRun(r, org)), total };
  }
}

function notFound(runId: string): PipelineLogsError {
  return new PipelineLogsError(PipelineLogsErrorCode.RunNotFound, `Pipeline run ${runId} not found`);
}
