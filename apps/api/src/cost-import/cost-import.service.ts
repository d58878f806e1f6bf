import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { type BeforeApplicationShutdown, Inject, Injectable, Optional } from '@nestjs/common';
import { CostCache } from '#analytics';
import { ENGINES_CLOSE_MARGIN_MS, ShutdownState } from '#platform';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { COST_IMPORT_OPTIONS, type CostImportOptions } from './cost-import.options.js';
import {
  CostImportRepository,
  type ImportedRowsToDrop,
  type OrgImportTarget,
} from './cost-import.repository.js';
import { FOCUS_1_2_RENAMES, planColumns } from './focus-columns.js';
import { UploadAdmission, type UploadTicket } from './import-admission.js';
import { ImportFolders } from './import-folders.js';
import { type ImportJob, type OnErrorMode, queuedJob } from './import-job.js';
import { ImportRegistry } from './import-registry.js';
import { ImportRunner, type PreparedImport } from './import-runner.js';
import { identifyUpload, receiveUpload } from './import-upload.js';
import { openCsvSource, openParquetSource, type RowSource } from './row-source.js';

export interface ImportRequest {
  org: string;
  body: Readable;
  /** Media type without parameters. */
  mediaType: string;
  declaredLength?: number;
  sourceSystem: string;
  /** Written to x_credential_id; the default when the caller named none. */
  credentialId: string;
  /**
   * The caller named the credential: the import replaces that credential's rows of its source and
   * period only, so that two accounts exported under one source system do not replace each other.
   */
  credentialNamed: boolean;
  onError: OnErrorMode;
  /** `Prefer: respond-async`: answer 202 whatever the size. */
  preferAsync: boolean;
  /** The SHA-256 of the org key that sent it (null: the root key): checked again before the swap. */
  startedByKey?: string | null;
}

export interface ImportStarted {
  job: ImportJob;
  /** True when the import continues after the response (202). */
  background: boolean;
  /** Settles when the import has finished (never rejects; the outcome is the job's status). */
  finished: Promise<void>;
}

/**
 * FOCUS file imports: the upload is received and checked (size, type, mandatory columns) before
 * the answer; the rows are imported before it for small files, after it for large ones.
 */
@Injectable()
export class CostImportService implements BeforeApplicationShutdown {
  /** Imports whose run has not settled: its last report write and its upload's removal included. */
  private readonly runs = new Set<Promise<void>>();
  /**
   * Resolved near the end of the shutdown grace (ENGINES_CLOSE_MARGIN_MS before it): the engines
   * then close in what is left of it, a run still writing interrupted by the warehouse's close.
   */
  private readonly graceEnding: Promise<void>;
  private readonly disarmGraceEnd: () => void;

  constructor(
    private readonly repository: CostImportRepository,
    private readonly registry: ImportRegistry,
    private readonly runner: ImportRunner,
    private readonly admission: UploadAdmission,
    private readonly folders: ImportFolders,
    @Inject(COST_IMPORT_OPTIONS) private readonly options: CostImportOptions,
    shutdown: ShutdownState,
    /** Optional as the runner's: where the cost reads are not mounted there is nothing to drop. */
    @Optional() private readonly costCache?: CostCache,
  ) {
    // From the first step of the shutdown (the server's drain), not only at the hook below, which
    // runs once the drain is over: a synchronous import waiting for its turn behind a background
    // one kept its request, and so the drain, open until that import had run to its end.
    shutdown.signal.addEventListener('abort', () => this.stopAtNextBatch(), { once: true });
    let graceEnded = () => {};
    this.graceEnding = new Promise((resolve) => (graceEnded = resolve));
    this.disarmGraceEnd = shutdown.nearGraceEnd(options.shutdownGraceMs, ENGINES_CLOSE_MARGIN_MS, () =>
      graceEnded(),
    );
  }

  async start(request: ImportRequest): Promise<ImportStarted> {
    const target = await this.repository.findTarget(request.org);
    if (!target) {
      request.body.resume();
      throw new CostImportError(
        CostImportErrorCode.OrgNotProvisioned,
        `Organization '${request.org}' does not exist or has no cost table; onboard it first.`,
      );
    }
    let ticket: UploadTicket;
    try {
      ticket = this.admission.admit(request.org, randomUUID());
    } catch (error) {
      // Refused before anything is written: the body is read to nowhere.
      request.body.resume();
      throw error;
    }
    let received: { job: ImportJob; prepared: PreparedImport };
    try {
      received = await this.receive(request, target, ticket.importId);
    } catch (error) {
      ticket.release();
      throw error;
    }
    ticket.recorded();
    const { job, prepared } = received;
    const finished = this.runner
      .run(job, { ...prepared, onTurn: () => ticket.started() })
      .finally(() => ticket.release());
    this.runs.add(finished);
    void finished.finally(() => this.runs.delete(finished));
    // By what the import goes through: a compressed file may expand to many times its upload.
    const work = Math.max(job.fileBytes, prepared.source.expandedBytes);
    const background = request.preferAsync || work > this.options.syncMaxBytes;
    if (!background) await finished;
    return { job, background, finished };
  }

  async find(org: string, id: string): Promise<ImportJob> {
    const job = await this.registry.find(org, id);
    if (!job)
      throw new CostImportError(
        CostImportErrorCode.ImportNotFound,
        `No cost import '${id}' for organization '${org}' (reports are kept for 30 days).`,
      );
    return job;
  }

  /** Removes the org's import reports (offboarding); returns how many there were. */
  deleteReports(org: string): Promise<number> {
    return this.registry.deleteForOrg(org);
  }

  /** Rows imported for the org (under this credential id, or any), by source system; none without a cost table. */
  async importedRows(org: string, credentialId: string | null): Promise<Map<string, number>> {
    const target = await this.repository.findTarget(org);
    return target ? this.repository.countImported(org, target.dataset, credentialId) : new Map();
  }

  /**
   * Deletes the org's imported rows of these sources under this credential that no import of
   * `keepRuns` wrote before `ingestedBefore` (the demo's previous year, after a seeding over a later
   * one), in turn with the org's imports, and drops its cached cost reads as an import does.
   * Returns the rows deleted.
   */
  async deleteImportedExcept(org: string, rows: ImportedRowsToDrop): Promise<number> {
    return this.registry.exclusive(org, async () => {
      const target = await this.repository.findTarget(org);
      if (!target) return 0;
      try {
        return await this.repository.deleteOtherRuns(target.dataset, org, rows);
      } finally {
        // Even on an error (a BigQuery job may commit after its call failed); across instances
        // too (the bus), as after an import. It does not reject.
        await this.costCache?.invalidateOrg(org);
      }
    });
  }

  /**
   * Tells the imports running to stop at their next batch (each then cleans up and stores its
   * report, interrupted), and those that start later at once: the instance is stopping (the
   * shutdown below, or a signal during a DEMO_DATA start's seeding).
   */
  stopAtNextBatch(): void {
    this.runner.shutdown.stopping = true;
  }

  /** Imports stop at their next batch and clean up; the engines close only after that. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopAtNextBatch();
    // Until the runs settle, not until their jobs read finished: a run writes its last report (the
    // "interrupted" a restart shows) after its status changes, and the tenancy DB closes next. Not
    // past the grace, though: waited for longer (it was 20 s, twice Cloud Run's 10), a run that did
    // not stop in time had the process killed at the grace with the engines still open.
    await Promise.race([Promise.allSettled([...this.runs]), this.graceEnding]);
    this.disarmGraceEnd();
  }

  /**
   * Writes the upload to a temp folder, identifies and opens it, checks its header and records its
   * report (queued). On any refusal the folder is removed, so nothing of the upload stays.
   */
  private async receive(
    request: ImportRequest,
    target: OrgImportTarget,
    id: string,
  ): Promise<{ job: ImportJob; prepared: PreparedImport }> {
    const dir = await this.folders.create();
    let prepared: PreparedImport;
    let job: ImportJob;
    try {
      const upload = path.join(dir, 'upload');
      const bytes = await receiveUpload(request.body, upload, {
        timeoutMs: this.options.receiveTimeoutMs,
        maxBytes: this.options.maxBytes,
        declaredLength: request.declaredLength,
      });
      const file = await identifyUpload(upload, request.mediaType, {
        path: path.join(dir, 'expanded.parquet'),
        maxBytes: this.options.maxExpandedBytes,
      });
      const source =
        file.format === 'csv'
          ? await openCsvSource(file.path, {
              gzip: file.gzip,
              maxExpandedBytes: this.options.maxExpandedBytes,
            })
          : await openParquetSource(file.path, { maxExpandedBytes: this.options.maxExpandedBytes });
      const plan = this.checkedPlan(source);
      prepared = {
        source,
        plan,
        target,
        dir,
        file: { path: source.path, format: file.format },
        replaceCredential: request.credentialNamed ? request.credentialId : null,
        startedByKey: request.startedByKey ?? null,
      };
      job = queuedJob({
        id,
        org: request.org,
        sourceSystem: request.sourceSystem,
        credentialId: request.credentialId,
        onError: request.onError,
        format: file.format,
        gzip: file.gzip,
        focusVersion: plan.focusVersion,
        fileBytes: bytes,
        columnMappings: plan.mappings,
        ignoredColumns: plan.ignored,
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    try {
      await this.registry.add(job);
    } catch (error) {
      // No report, no import: the caller could never follow it.
      prepared.source.close();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return { job, prepared };
  }

  /** Refuses a file whose header lacks a mandatory FOCUS column (or has no header at all). */
  private checkedPlan(source: RowSource) {
    if (source.header.length === 0) {
      source.close();
      throw new CostImportError(CostImportErrorCode.EmptyFile, 'The file has no header and no rows.');
    }
    const plan = planColumns(source.header, this.repository.costSchema());
    if (plan.missing.length) {
      source.close();
      // Named as the file's FOCUS version names them (a 1.2 export has ProviderName); both names
      // when the header tells no version (it has neither the 1.3 provider columns nor a 1.2 one).
      const version = plan.focusVersion === '1.3' || plan.mappings.length ? plan.focusVersion : undefined;
      const oldName = (column: string) =>
        Object.entries(FOCUS_1_2_RENAMES).find(([, to]) => to === column)?.[0];
      const named = plan.missing.map((column) => {
        const old = oldName(column);
        if (!old || version === '1.3') return column;
        return version === '1.2' ? old : `${column} (FOCUS 1.2: ${old})`;
      });
      // A header read as one column holding another separator: the file is not comma-separated.
      const separator = source.header.length === 1 ? /[;\t|]/.exec(source.header[0])?.[0] : undefined;
      const hint = separator
        ? ` The header reads as one column holding ${separator === '\t' ? 'tabs' : `"${separator}"`}: a FOCUS CSV is comma-separated.`
        : '';
      throw new CostImportError(
        CostImportErrorCode.MissingColumns,
        `The file lacks the mandatory FOCUS${version ? ` ${version}` : ''} column(s): ${named.join(', ')}.${hint}`,
        { extra: { missing_columns: named, ...(version ? { focus_version: version } : {}) } },
      );
    }
    return plan;
  }
}
