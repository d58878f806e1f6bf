import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { OrgLeases } from '../common/org-lease.js';
import { CostImportErrorCode } from './cost-import.errors.js';
import { type ImportJob, isFinished } from './import-job.js';
import { ImportReportRepository } from './import-report.repository.js';

/** How often the instance running an import rewrites its report (progress, and proof of life). */
export const REPORT_HEARTBEAT_MS = 5_000;
/** A queued or processing report not rewritten for this long belongs to a stopped instance. */
export const REPORT_STALE_AFTER_MS = 60_000;
/** Finished reports are kept this long; older ones go when the org starts a new import. */
const KEPT_MS = 30 * 86_400_000;
/** The cross-instance lease an org's imports take turns on; renewed while one runs. */
const LEASE_OPERATION = 'cost-import';
const LEASE_TTL_SECONDS = 60;

/** How many rows of an org's cost table carry an import's run id: its swap ran when any do. */
export abstract class ImportedRows {
  abstract count(org: string, runId: string): Promise<number>;
}

interface LocalJob {
  job: ImportJob;
  writing?: Promise<void>;
  /** The job changed while a write was in flight: write once more after it. */
  again: boolean;
  /** The last write of a finished job failed: the heartbeat retries it. */
  unsaved: boolean;
}

/**
 * Import reports and turns. Reports live in the tenancy DB (cost_imports), so every instance
 * answers `GET .../costs/import/:id` and a restart keeps them; the instance running an import
 * rewrites its report at each step and every REPORT_HEARTBEAT_MS, and answers for it from memory
 * meanwhile (the freshest view). A report left queued or processing whose heartbeat stopped
 * belongs to an instance that died: the cost table says how it ended (the swap is one statement,
 * and its rows carry the import's run id), completed if they are there, else interrupted with the
 * previous data in place.
 *
 * Imports of one org run one after the other, across instances (a lease in the tenancy DB): two
 * replaces of overlapping slices must not interleave, and parallel loads of one org gain nothing.
 */
@Injectable()
export class ImportRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(ImportRegistry.name);
  private readonly local = new Map<string, LocalJob>();
  private readonly tails = new Map<string, Promise<void>>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly reports: ImportReportRepository,
    private readonly leases: OrgLeases,
    private readonly imported: ImportedRows,
  ) {}

  /** Records a new import; rejects (and the import does not start) when its report cannot be written. */
  async add(job: ImportJob): Promise<void> {
    await this.reports.insert(job, new Date());
    this.local.set(job.id, { job, again: false, unsaved: false });
    this.heartbeat ??= setInterval(() => this.beat(), REPORT_HEARTBEAT_MS).unref();
    await this.reports
      .prune(job.org, new Date(Date.now() - KEPT_MS))
      .catch((error: unknown) => this.logger.warn(`Old cost import reports not pruned: ${String(error)}`));
  }

  /** Writes the job's report (a step changed). Never rejects: a failed write is logged and retried. */
  changed(job: ImportJob): Promise<void> {
    const entry = this.local.get(job.id);
    if (!entry) return Promise.resolve();
    if (entry.writing) {
      entry.again = true;
      return entry.writing;
    }
    entry.writing = this.write(entry).finally(() => {
      entry.writing = undefined;
    });
    return entry.writing;
  }

  /** The last write of a finished job; once it is stored, the job leaves this instance's memory. */
  async finished(job: ImportJob): Promise<void> {
    await this.changed(job);
    const entry = this.local.get(job.id);
    if (entry && !entry.unsaved) this.local.delete(job.id);
    this.stopHeartbeatWhenIdle();
  }

  /** The org's import with this id; another org's id is "not found", never "forbidden". */
  async find(org: string, id: string): Promise<ImportJob | undefined> {
    const local = this.local.get(id)?.job;
    if (local) return local.org === org ? local : undefined;
    const stored = await this.reports.find(org, id);
    if (!stored) return undefined;
    if (!isFinished(stored.job) && Date.now() - stored.heartbeatAt.getTime() > REPORT_STALE_AFTER_MS)
      return this.afterStop(stored.job, stored.heartbeatAt);
    return stored.job;
  }

  /** An import whose instance stopped reporting: how it ended, read from the cost table. */
  private async afterStop(job: ImportJob, lastSeen: Date): Promise<ImportJob> {
    let landed: number | null;
    try {
      landed = await this.imported.count(job.org, job.id);
    } catch (error) {
      this.logger.warn(`Outcome of cost import ${job.id} could not be read: ${String(error)}`);
      landed = null;
    }
    if (landed)
      return {
        ...job,
        status: job.rowsRejected > 0 ? 'completed_with_errors' : 'completed',
        rowsImported: landed,
        finishedAt: lastSeen,
      };
    return interrupted(job, lastSeen, landed === 0);
  }

  /** This instance's imports that have not finished. */
  running(): ImportJob[] {
    return [...this.local.values()].map((e) => e.job).filter((job) => !isFinished(job));
  }

  /**
   * Runs `work` after every earlier import of the org has finished, on this instance (in arrival
   * order) and on the others (the lease). `stopped` ends a wait with the error it returns.
   */
  async exclusive<T>(org: string, work: () => Promise<T>, stopped?: () => Error | null): Promise<T> {
    const previous = this.tails.get(org) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => (release = resolve));
    const chained = previous.then(() => tail);
    this.tails.set(org, chained);
    await previous;
    try {
      return await this.leases.queue(org, LEASE_OPERATION, LEASE_TTL_SECONDS, work, { stopped });
    } finally {
      release();
      if (this.tails.get(org) === chained) this.tails.delete(org);
    }
  }

  /** Removes the org's reports (offboarding); returns how many were stored. */
  deleteForOrg(org: string): Promise<number> {
    return this.reports.deleteForOrg(org);
  }

  onApplicationShutdown(): void {
    this.stopHeartbeat();
  }

  private async write(entry: LocalJob): Promise<void> {
    do {
      entry.again = false;
      try {
        await this.reports.save(entry.job, new Date());
        entry.unsaved = false;
      } catch (error) {
        entry.unsaved = true;
        this.logger.warn(`Report of cost import ${entry.job.id} not stored (retried): ${String(error)}`);
        return;
      }
    } while (entry.again);
  }

  /** Rewrites running imports (liveness) and retries finished ones whose last write failed. */
  private beat(): void {
    for (const entry of this.local.values()) {
      if (!isFinished(entry.job)) void this.changed(entry.job);
      else if (entry.unsaved && !entry.writing)
        void this.changed(entry.job).then(() => {
          if (!entry.unsaved) this.local.delete(entry.job.id);
        });
    }
    this.stopHeartbeatWhenIdle();
  }

  private stopHeartbeatWhenIdle(): void {
    if (this.local.size === 0) this.stopHeartbeat();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** How a report whose instance stopped mid-import reads when its rows are not in the cost table. */
function interrupted(job: ImportJob, lastSeen: Date, checked: boolean): ImportJob {
  const data = checked
    ? 'the previous data is unchanged'
    : 'whether its rows replaced the previous ones could not be checked';
  return {
    ...job,
    status: 'failed',
    failure: {
      code: CostImportErrorCode.Interrupted,
      message:
        `The service instance running this import stopped before it finished (last report at ` +
        `${lastSeen.toISOString()}); ${data}. Import the file again: a re-import replaces the same slice.`,
    },
    finishedAt: lastSeen,
  };
}
