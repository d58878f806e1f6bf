import { Inject, Injectable } from '@nestjs/common';
import { type DbValue, TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { type ImportJob, jobFromStored, type StoredImportJob, storedJob } from './import-job.js';

interface ReportRow {
  [column: string]: unknown;
  report: StoredImportJob;
  heartbeat_at: string;
}

export interface StoredReport {
  job: ImportJob;
  heartbeatAt: Date;
}

/**
 * The cost_imports table (configs/supabase/migrations/0006_cost_imports.sql): one row per import,
 * its report as JSON, rewritten by the instance that runs it.
 */
@Injectable()
export class ImportReportRepository {
  constructor(@Inject(TENANCY_DB) private readonly db: TenancyDb) {}

  async insert(job: ImportJob, now: Date): Promise<void> {
    await this.db.insert('cost_imports', [
      {
        import_id: job.id,
        org_slug: job.org,
        status: job.status,
        report: reportValue(job),
        created_at: job.createdAt,
        heartbeat_at: now,
        finished_at: job.finishedAt,
      },
    ]);
  }

  async save(job: ImportJob, now: Date): Promise<void> {
    await this.db.update(
      'cost_imports',
      { import_id: job.id },
      { status: job.status, report: reportValue(job), heartbeat_at: now, finished_at: job.finishedAt },
    );
  }

  /** The org's report with this id; another org's id is "not found". */
  async find(org: string, id: string): Promise<StoredReport | null> {
    const [row] = await this.db.select<ReportRow>(
      'cost_imports',
      { import_id: id, org_slug: org },
      { columns: ['report', 'heartbeat_at'], limit: 1 },
    );
    return row ? { job: jobFromStored(row.report), heartbeatAt: new Date(row.heartbeat_at) } : null;
  }

  /** Forgets the org's finished reports created before `before`; returns how many. */
  async prune(org: string, before: Date): Promise<number> {
    const [row] = await this.db.rpc<{ prune_cost_imports: number }>('prune_cost_imports', {
      p_org_slug: org,
      p_before: before,
    });
    return row?.prune_cost_imports ?? 0;
  }

  async deleteForOrg(org: string): Promise<number> {
    return (await this.db.delete('cost_imports', { org_slug: org })).length;
  }
}

function reportValue(job: ImportJob): DbValue {
  // A job is plain data (strings, numbers, booleans, null, arrays and records of them).
  return storedJob(job) as unknown as DbValue;
}
