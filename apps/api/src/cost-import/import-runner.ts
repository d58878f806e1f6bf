import { rm } from 'node:fs/promises';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CostCache } from '#analytics';
import { API_KEY_LOOKUP, type ApiKeyLookup } from '#platform';
import { type Row, writeOutcomeUnknown } from '#warehouse';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { CostImportRepository, type OrgImportTarget } from './cost-import.repository.js';
import type { ColumnPlan } from './focus-columns.js';
import { FocusRowNormalizer } from './focus-row-normalizer.js';
import { checkStartingKey } from './import-key-check.js';
import { type ImportJob, recordRowErrors } from './import-job.js';
import { ImportedRows, ImportRegistry } from './import-registry.js';
import { type ImportSlice, SliceCollector } from './import-slice.js';
import type { RowSource } from './row-source.js';
import { checkTypedParquet } from './typed-parquet-check.js';
import { reportingCurrency } from '../organizations/locale-catalog.js';
import { OrgLeases } from '../common/org-lease.js';

/** Rows per staging insert: large enough to amortise a statement, small enough to keep memory flat. */
const BATCH_ROWS = 25_000;
const DAY_MS = 86_400_000;

export interface PreparedImport {
  source: RowSource;
  plan: ColumnPlan;
  target: OrgImportTarget;
  /** Temp directory of the upload, removed when the import ends. */
  dir: string;
  /** The upload as a file the warehouse can bulk-load, when it is one (see `stageFile`). */
  file?: { path: string; format: 'csv' | 'parquet' };
  /** Replace only this credential's rows of the slice; null: every row of the source system. */
  replaceCredential: string | null;
  /** The org key that started it (its hash), checked again before the swap; null: the root key. */
  startedByKey: string | null;
  /** Called when the import's turn comes (it holds the org's lease), before anything is staged. */
  onTurn?: () => void;
}

/**
 * Keeps one staging insert in flight while the next batch is read and validated, so the
 * warehouse's own work overlaps ours. A failed insert surfaces at the next add or at flush.
 */
class StageWriter {
  private inFlight: Promise<void> = Promise.resolve();
  /** Rows in the staging table; they reach the cost table only with the swap. */
  staged = 0;

  constructor(private readonly write: (rows: Row[]) => Promise<number>) {}

  async add(rows: Row[]): Promise<void> {
    await this.inFlight;
    this.inFlight = this.write(rows).then((written) => {
      this.staged += written;
    });
    // Observed here so a failure is not reported as unhandled before flush() awaits it.
    this.inFlight.catch(() => undefined);
  }

  flush(): Promise<void> {
    return this.inFlight;
  }
}

/** Interrupts imports at the next batch when the app shuts down. */
export class ShutdownSignal {
  stopping = false;
}

/** The org was removed (or is being removed) while its import ran: nothing of the file is kept. */
const orgRemoved = (job: ImportJob) =>
  new CostImportError(
    CostImportErrorCode.OrgNotProvisioned,
    `Organization '${job.org}' was removed while this import ran; nothing was imported.`,
  );

/**
 * Runs one import to its end: rows are validated and staged, then the slice is swapped in one
 * statement, then the org's cost reads are invalidated. Never throws: the outcome is the job's
 * status, and every path drops the staging table and the upload.
 */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger(ImportRunner.name);
  readonly shutdown = new ShutdownSignal();
  /** What ends an import's wait for a lease: the instance stopping. */
  private readonly stopped = () => (this.shutdown.stopping ? interruptedByShutdown() : null);

  constructor(
    private readonly repository: CostImportRepository,
    private readonly registry: ImportRegistry,
    private readonly imported: ImportedRows,
    private readonly leases: OrgLeases,
    @Inject(API_KEY_LOOKUP) private readonly keys: ApiKeyLookup,
    /** Optional so imports still work where the cost reads are not mounted (nothing to invalidate). */
    @Optional() private readonly costCache?: CostCache,
  ) {}

  async run(job: ImportJob, prepared: PreparedImport): Promise<void> {
    try {
      await this.registry.exclusive(job.org, () => this.process(job, prepared), this.stopped);
    } catch (error) {
      job.status = 'failed';
      job.failure = failureOf(error);
      if (!(error instanceof CostImportError) || error.code === CostImportErrorCode.ImportFailed)
        this.logger.error(
          `Cost import ${job.id} of org ${job.org} failed`,
          error instanceof Error ? error.stack : error,
        );
    } finally {
      job.finishedAt = new Date();
      prepared.source.close();
      await rm(prepared.dir, { recursive: true, force: true });
      await this.registry.finished(job);
    }
  }

  private async process(job: ImportJob, prepared: PreparedImport): Promise<void> {
    const { source, plan, target } = prepared;
    prepared.onTurn?.();
    this.checkRunning();
    job.status = 'processing';
    job.startedAt = new Date();
    void this.registry.changed(job);
    const columns = plan.fed.map((c) => c.name);
    const base = `_cost_import_${job.id.replaceAll('-', '')}`;
    let stage = base;
    const stages = [stage];
    await this.repository.createStage(target.dataset, stage, columns);
    const writer = new StageWriter((rows) => this.repository.insertStage(target.dataset, stage, rows));
    try {
      const bulk = await this.stageFile(job, prepared, stage, writer);
      if (bulk === 'refused') {
        // A load that failed may still have written (a BigQuery job that committed before the
        // error reached us, or one still running): the row path stages into a table of its own,
        // so no row is ever staged twice.
        stage = `${base}_rows`;
        stages.push(stage);
        await this.repository.createStage(target.dataset, stage, columns);
      }
      const period =
        typeof bulk === 'object'
          ? bulk
          : await this.stageRows(
              job,
              source,
              new FocusRowNormalizer(plan, reportingCurrency(prepared.target.currency)),
              writer,
            );
      await writer.flush();
      this.checkOutcome(job, writer.staged);
      const staged = Date.now();
      const slice = {
        sourceSystem: job.sourceSystem,
        credentialId: prepared.replaceCredential,
        from: dayStart(period.first),
        to: dayStart(period.last + DAY_MS),
        billingPeriods: period.billingPeriods.map((ms) => new Date(ms)),
      };
      job.chargePeriod = { start: isoDay(slice.from), end: isoDay(slice.to) };
      job.billingPeriods = slice.billingPeriods.map((d) => d.toISOString());
      // The swap is a change of the org (OrgLeases.write): never in the middle of its removal or a
      // re-sync (it waits for them to end), and refused after a removal: a dataset kept by an
      // offboarding takes no rows for an org that is gone.
      job.rowsReplaced = await this.leases.write(
        job.org,
        async () => {
          if ((await this.repository.findTarget(job.org))?.dataset !== target.dataset) throw orgRemoved(job);
          await checkStartingKey(this.keys, job.org, prepared.startedByKey);
          return this.repository
            .replaceSlice(
              target.dataset,
              stage,
              { columns, rows: writer.staged },
              { runId: job.id, values: lineage(job, target) },
              slice,
            )
            .catch((error: unknown) => this.swapOutcome(job, error));
        },
        { stopped: this.stopped },
      );
      job.rowsImported = writer.staged;
      this.logger.log(
        `Cost import ${job.id} of org ${job.org}: ${job.rowsImported} rows staged in ` +
          `${staged - job.startedAt.getTime()} ms, swapped in ${Date.now() - staged} ms`,
      );
    } finally {
      await writer.flush().catch(() => undefined);
      for (const name of stages) await this.repository.dropStage(target.dataset, name);
    }
    job.status = job.rowsRejected > 0 ? 'completed_with_errors' : 'completed';
    // Across instances too (the cache publishes on the invalidation bus). It does not reject: a
    // failed broadcast is logged by the cache and only means stale reads elsewhere until expiry.
    await this.costCache?.invalidateOrg(job.org);
  }

  /**
   * A swap that reported an error may still have applied (a BigQuery job can commit after its
   * call failed): the import's run id in the table tells. Applied, the import completed (how many
   * rows it replaced is unknown, so 0 is reported); not applied, the previous data is unchanged
   * and the error stands; unknown, the report says so rather than claim either. A write the
   * warehouse could not see end (writeOutcomeUnknown: a cancelled job still running) may land
   * after the check, so no rows yet does not mean unchanged then.
   */
  private async swapOutcome(job: ImportJob, error: unknown): Promise<number> {
    let landed: number;
    try {
      landed = await this.imported.count(job.org, job.id);
    } catch (checkError) {
      this.logger.error(`Cost import ${job.id}: swap failed and its outcome could not be read`, checkError);
      return this.outcomeUnknown(job, error);
    }
    if (landed === 0 && writeOutcomeUnknown(error)) {
      this.logger.error(`Cost import ${job.id}: swap cancelled at its deadline, not seen to end`, error);
      return this.outcomeUnknown(job, error);
    }
    if (landed === 0) throw error;
    this.logger.warn(
      `Cost import ${job.id}: the swap reported ${String(error)}, yet its ${landed} rows landed`,
    );
    return 0;
  }

  private async outcomeUnknown(job: ImportJob, error: unknown): Promise<never> {
    // The rows may have replaced the previous ones: cached reads of them may be stale now.
    await this.costCache?.invalidateOrg(job.org);
    throw new CostImportError(
      CostImportErrorCode.OutcomeUnknown,
      'The import could not be confirmed (a storage error, logged with its id): the new rows may or ' +
        'may not have replaced the previous ones. Import the file again: a re-import replaces the same slice.',
      { cause: error },
    );
  }

  /**
   * The fast way for a Parquet file typed natively for the table: a columnar check stands in for
   * the row-by-row validation, and the warehouse bulk-loads the file into the staging table
   * itself (rows never become JavaScript values). 'ineligible', with nothing staged, when the
   * file does not qualify or a row would be rejected; 'refused' when the load failed, after which
   * the stage's content is unknown. The row path then runs, with its exact per-row error report.
   */
  private async stageFile(
    job: ImportJob,
    { file, plan, source, target }: PreparedImport,
    stage: string,
    writer: StageWriter,
  ): Promise<ImportSlice | 'ineligible' | 'refused'> {
    if (file?.format !== 'parquet') return 'ineligible';
    const checked = await checkTypedParquet(
      file.path,
      plan,
      source.header,
      reportingCurrency(target.currency),
    );
    if (!checked) return 'ineligible';
    this.checkRunning();
    try {
      writer.staged = await this.repository.loadStage(target.dataset, stage, file.path);
    } catch (error) {
      this.logger.warn(`Cost import ${job.id}: bulk load refused (${String(error)}); validating row by row`);
      return 'refused';
    }
    job.rowsRead = checked.rows;
    return checked.slice;
  }

  /** Validates every row and stages the good ones; returns the slice the staged rows replace. */
  private async stageRows(
    job: ImportJob,
    source: RowSource,
    normalizer: FocusRowNormalizer,
    writer: StageWriter,
  ): Promise<ImportSlice> {
    const slice = new SliceCollector();
    for await (const batch of source.batches(BATCH_ROWS)) {
      this.checkRunning();
      const good: Row[] = [];
      batch.rows.forEach((values, i) => {
        const result = normalizer.normalize(values, batch.firstRow + i);
        if (result.ok) {
          good.push(result.row);
          slice.add(result.chargePeriodStart, result.billingPeriodStart);
        } else {
          job.rowsRejected++;
          recordRowErrors(job, result.errors);
        }
      });
      job.rowsRead += batch.rows.length;
      // In reject mode the file is refused anyway: reading on only counts the bad rows.
      if (good.length && (job.onError === 'skip' || job.rowsRejected === 0)) await writer.add(good);
    }
    return slice.slice();
  }

  private checkRunning(): void {
    if (this.shutdown.stopping) throw interruptedByShutdown();
  }

  private checkOutcome(job: ImportJob, staged: number): void {
    if (job.rowsRead === 0)
      throw new CostImportError(CostImportErrorCode.EmptyFile, 'The file has a header but no rows.');
    if (job.rowsRejected > 0 && (job.onError === 'reject' || staged === 0))
      throw new CostImportError(
        CostImportErrorCode.RowsInvalid,
        `${job.rowsRejected} of ${job.rowsRead} rows are invalid; nothing was imported and the ` +
          `previous data is unchanged.${job.onError === 'reject' ? ' Fix the rows, or send on_error=skip to import the valid ones.' : ''}`,
      );
  }
}

/** What every row of the import carries about where it came from (x_pipeline_run_date aside). */
function lineage(job: ImportJob, target: OrgImportTarget): Row {
  const now = new Date();
  return {
    x_source_system: job.sourceSystem,
    x_pipeline_id: 'focus_import',
    x_run_id: job.id,
    x_credential_id: job.credentialId,
    x_ingested_at: now,
    x_ingestion_date: isoDay(now),
    x_created_at: now,
    x_updated_at: now,
    x_org_slug: job.org,
    x_org_name: target.companyName,
    x_org_owner_email: target.adminEmail,
    x_org_default_currency: target.currency,
    x_org_default_timezone: target.timezone,
    x_org_default_country: target.country,
    x_org_subscription_plan: target.plan,
    x_org_subscription_status: target.status,
  };
}

const interruptedByShutdown = () =>
  new CostImportError(CostImportErrorCode.Interrupted, 'The service shut down; import the file again.');

function failureOf(error: unknown): { code: string; message: string } {
  if (error instanceof CostImportError && error.code !== CostImportErrorCode.ImportFailed)
    return { code: error.code, message: error.detail };
  // Warehouse and other internal messages may name hosts or files: the report says what happened only.
  return {
    code: CostImportErrorCode.ImportFailed,
    message:
      'The import could not complete (a storage error, logged with its id); the previous data is unchanged.',
  };
}

const dayStart = (ms: number) => new Date(Math.floor(ms / DAY_MS) * DAY_MS);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
