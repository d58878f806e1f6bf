import { Inject, Injectable } from '@nestjs/common';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';
import { USABLE_CREDENTIAL_SQL } from '../common/usable-credential.js';
import { type LiveRun, liveRunKey } from './quota.types.js';

/**
 * The central warehouse tables the quota reads or corrects: the org's configured providers (for
 * the providers limit) and the pipeline service's run rows (marked FAILED when a reservation expired).
 */
@Injectable()
export class PipelineRunsRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  /** Distinct providers with an active, VALID credential: what counts against the providers limit. */
  async configuredProviders(org: string): Promise<number> {
    const [row] = await this.warehouse.query<{ n: number }>(
      `SELECT COUNT(DISTINCT provider) AS n
       FROM ${central('org_integration_credentials')}
       WHERE org_slug = @org AND ${USABLE_CREDENTIAL_SQL}`,
      { org, now: new Date() },
    );
    return row?.n ?? 0;
  }

  /**
   * Marks FAILED every open run (any org) that started before `cutoff` and is not one of `live`
   * (its org's run of that id: run ids are unique within an org only); returns how many rows changed.
   * A run failed here ends `at`, and its duration says so (a run that never started has none).
   */
  async markAgedRunsFailed(cutoff: Date, live: LiveRun[], message: string, at: Date): Promise<number> {
    return this.warehouse.execute(
      `UPDATE ${central('org_meta_pipeline_runs')}
       SET status = 'FAILED', error_message = @message, end_time = @at,
         duration_ms = TIMESTAMP_DIFF(@at, start_time, MILLISECOND)
       WHERE status IN ('PENDING', 'RUNNING') AND COALESCE(start_time, created_at) < @cutoff
         AND CONCAT(org_slug, '/', pipeline_logging_id) NOT IN UNNEST(@live)`,
      // An org slug has no '/', so the key names one org's run. An empty array parameter has no
      // element type to send; no key is empty.
      { live: live.length ? live.map(liveRunKey) : [''], message, at, cutoff },
    );
  }

  /**
   * Puts back as RUNNING the org's run the stale cleanup marked FAILED with `message` (its
   * reservation expired) and that was then admitted again; a run failed otherwise stays so.
   */
  async reopenRun(org: string, runId: string, message: string): Promise<number> {
    return this.warehouse.execute(
      `UPDATE ${central('org_meta_pipeline_runs')}
       SET status = 'RUNNING', error_message = NULL, end_time = NULL, duration_ms = NULL
       WHERE org_slug = @org AND pipeline_logging_id = @id AND status = 'FAILED' AND error_message = @message`,
      { org, id: runId, message },
    );
  }

  /** Marks the org's still-open runs among `runIds` FAILED; returns how many rows changed. */
  async markRunsFailed(org: string, runIds: string[], message: string, at: Date): Promise<number> {
    if (runIds.length === 0) return 0;
    return this.warehouse.execute(
      `UPDATE ${central('org_meta_pipeline_runs')}
       SET status = 'FAILED', error_message = @message, end_time = @at,
         duration_ms = TIMESTAMP_DIFF(@at, start_time, MILLISECOND)
       WHERE org_slug = @org AND pipeline_logging_id IN UNNEST(@ids) AND status IN ('PENDING', 'RUNNING')`,
      { org, ids: runIds, message, at },
    );
  }
}
