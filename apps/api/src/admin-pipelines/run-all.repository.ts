import { Inject, Injectable } from '@nestjs/common';
import { CENTRAL_DATASET, central, param, WAREHOUSE, type Warehouse } from '#warehouse';
import { USABLE_CREDENTIAL_SQL } from '../common/usable-credential.js';

export interface CredentialRow {
  org_slug: string;
  provider: string;
  [column: string]: unknown;
}

export interface BatchRunRecord {
  batch_run_id: string;
  org_slug: string;
  trigger_type: 'MANUAL' | 'SCHEDULED';
  status: 'COMPLETED' | 'PARTIAL';
  run_date: string;
  dry_run: boolean;
  categories_filter: string[] | null;
  providers_filter: string[] | null;
  orgs_processed: number;
  orgs_skipped: number;
  pipelines_triggered: number;
  pipelines_failed: number;
  pipelines_skipped_quota: number;
  total_integrations: number;
  results: object[];
  errors: object[];
  elapsed_seconds: number;
  triggered_at: Date;
  completed_at: Date;
  created_at: Date;
  [column: string]: unknown;
}

@Injectable()
export class RunAllRepository {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async isActiveOrg(org: string): Promise<boolean> {
    const rows = await this.warehouse.query<{ status: string }>(
      `SELECT status FROM ${central('org_profiles')} WHERE org_slug = @org LIMIT 1`,
      { org },
    );
    return rows[0]?.status === 'ACTIVE';
  }

  async activeOrgs(): Promise<string[]> {
    const rows = await this.warehouse.query<{ org_slug: string }>(
      `SELECT org_slug FROM ${central('org_profiles')} WHERE status = 'ACTIVE' ORDER BY org_slug`,
    );
    return rows.map((r) => r.org_slug);
  }

  /** Credentials in use at `now` (see USABLE_CREDENTIAL_SQL). */
  validCredentials(orgs: string[], now: Date): Promise<CredentialRow[]> {
    if (orgs.length === 0) return Promise.resolve([]);
    return this.warehouse.query<CredentialRow>(
      `SELECT DISTINCT org_slug, provider FROM ${central('org_integration_credentials')}
       WHERE org_slug IN UNNEST(@orgs) AND ${USABLE_CREDENTIAL_SQL}
       ORDER BY org_slug, provider`,
      { orgs: param.stringArray(orgs), now: param.timestamp(now) },
    );
  }

  async insertBatchRun(record: BatchRunRecord): Promise<void> {
    await this.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_batch_runs' }, [
      record,
    ]);
  }
}
