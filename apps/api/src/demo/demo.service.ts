import { createReadStream } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import pl from 'nodejs-polars';
import { AppConfig } from '#platform';
import { CostImportService } from '../cost-import/cost-import.service.js';
import { ImportFolders } from '../cost-import/import-folders.js';
import { LIFECYCLE_LEASE_SECONDS } from '../organizations/org-creation-lock.js';
import { OrganizationsErrorCode } from '../organizations/organizations.errors.js';
import { DEFAULT_DEMO_ROWS, DEMO_SOURCES } from './demo-catalog.js';
import { demoLeaves } from './demo-hierarchy.js';
import { demoFrame, type DemoYear } from './demo-rows.js';

export const DEMO_ORG = 'demo_org';
/** x_credential_id of the demo's rows: how a later start recognises them. */
const DEMO_CREDENTIAL = 'demo';
const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
/** The onboarding's refusals while another holder (a crashed start's, until its lease ends) has the org. */
const BUSY_CODES: ReadonlySet<string> = new Set([
  OrganizationsErrorCode.OnboardingInProgress,
  OrganizationsErrorCode.ChangesInProgress,
]);
/** How long the demo waits out those: a crashed holder's lifecycle lease, plus a margin. */
const BUSY_WAIT_MS = (LIFECYCLE_LEASE_SECONDS + 30) * 1000;

export interface DemoOptions {
  /** Rows over the year, all sources together (default 100,000; the bench uses 1,000,000). */
  rows?: number;
  seed?: number;
  /** Last charge day, YYYY-MM-DD (default today, UTC): the year is the 365 days up to it. */
  end?: string;
  /** Keep the demo rows already there (an app start with DEMO_DATA) instead of importing again. */
  keepExisting?: boolean;
  /** Aborted (a signal): the import running stops at its next batch, and no further one starts. */
  signal?: AbortSignal;
}

/**
 * A seeding cut short by its AbortSignal. The sources imported by then are kept, the one stopped
 * has none of its rows (each import is whole or nothing): a DEMO_DATA start imports it next time.
 */
export class DemoInterrupted extends Error {
  constructor() {
    super('The demo seeding was interrupted');
    this.name = 'DemoInterrupted';
  }
}

function checkNotInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DemoInterrupted();
}

export interface DemoImport {
  source: string;
  importId: string;
  rows: number;
  replaced: number;
}

export interface DemoResult {
  org: string;
  apiKey: string;
  /** Where the key is kept (mode 0600), for an app start with DEMO_DATA, which never logs it. */
  keyFile: string;
  rows: number;
  start: string;
  end: string;
  imports: DemoImport[];
}

/**
 * The demo organization: onboarded through the real onboarding route (in-process HTTP, so it gets
 * exactly what a customer gets: profile, key, limits, dataset, hierarchy) and filled through the
 * real FOCUS import, one Parquet file per source system. Idempotent: a second run keeps the org
 * and its key and replaces each source's rows over the same days.
 */
@Injectable()
export class DemoService {
  private readonly logger = new Logger(DemoService.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly imports: CostImportService,
    private readonly folders: ImportFolders,
    private readonly config: AppConfig,
  ) {}

  async ensureDemo(options: DemoOptions = {}): Promise<DemoResult> {
    const { signal } = options;
    checkNotInterrupted(signal);
    // The FOCUS import's own stop, as at shutdown: at its next batch, its report stored.
    const stopImports = () => this.imports.stopAtNextBatch();
    signal?.addEventListener('abort', stopImports, { once: true });
    try {
      return await this.seed(options);
    } finally {
      signal?.removeEventListener('abort', stopImports);
    }
  }

  private async seed(options: DemoOptions): Promise<DemoResult> {
    const began = new Date();
    const end = options.end
      ? Date.parse(`${options.end}T00:00:00Z`)
      : Math.floor(Date.now() / DAY_MS) * DAY_MS;
    // Date.parse rolls a day the month does not have over (2026-02-30 is 2026-03-02).
    if (Number.isNaN(end) || (options.end && isoDay(new Date(end)) !== options.end))
      throw new Error(`Invalid demo end date: ${options.end}`);
    const year: DemoYear = {
      rows: options.rows ?? DEFAULT_DEMO_ROWS,
      seed: options.seed ?? 42,
      start: new Date(end - 364 * DAY_MS),
      days: 365,
      leaves: demoLeaves(),
    };
    const apiKey = await this.onboard(options.signal);
    const keyFile = await this.keepKey(apiKey);
    let sources: readonly string[] = DEMO_SOURCES;
    let kept = 0;
    if (options.keepExisting) {
      // Rows of every credential: an import of the org's own export of a source (README's example,
      // without credential_id) replaces the demo's rows of it, and is no seeding cut off half-way.
      const bySource = await this.imports.importedRows(DEMO_ORG, null);
      kept = [...bySource.values()].reduce((n, r) => n + r, 0);
      // A seeding cut off half-way (the process killed between two sources' imports) left some
      // sources only: kept, the demo would stay partial at every start. The missing sources are
      // seeded (each import is whole or nothing); the others are kept, as imported again they
      // would add the demo's rows beside an export imported in their place.
      sources = DEMO_SOURCES.filter((source) => !bySource.get(source));
      if (kept > 0 && sources.length > 0)
        this.logger.warn(
          `Demo organization ${DEMO_ORG} has no rows of ${sources.join(', ')} (an earlier seeding ` +
            'stopped half-way); importing them',
        );
      if (kept > 0 && sources.length === 0) {
        this.logger.log(`Demo organization ${DEMO_ORG} already has ${kept} rows; keeping them`);
        return {
          org: DEMO_ORG,
          apiKey,
          keyFile,
          rows: kept,
          start: isoDay(year.start),
          end: isoDay(new Date(end)),
          imports: [],
        };
      }
    }
    // A folder of its own inside this process's locked upload folder (ImportFolders): two seedings
    // at once never share one, and what a killed process left is swept like its uploads.
    const dir = await this.folders.create();
    const done: DemoImport[] = [];
    try {
      for (const source of sources) {
        checkNotInterrupted(options.signal);
        done.push(await this.importSource(source, year, dir, options.signal));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Every source imported (a failed seeding leaves what was there). Each import replaced only its
    // own file's days: an earlier seeding over another year left its rows before (or after) them,
    // and, rows being sparse, between a source's charge days too.
    if (!options.keepExisting) await this.dropEarlierSeedings(year, end, done, began);
    return {
      org: DEMO_ORG,
      apiKey,
      keyFile,
      rows: kept + done.reduce((n, i) => n + i.rows, 0),
      start: isoDay(year.start),
      end: isoDay(new Date(end)),
      imports: done,
    };
  }

  /**
   * Only the rows of this seeding's imports stay of the demo's (its credential's), and those of a
   * seeding running beside it (written since this one began), which its own end then sorts out.
   */
  private async dropEarlierSeedings(
    year: DemoYear,
    end: number,
    done: DemoImport[],
    began: Date,
  ): Promise<void> {
    const dropped = await this.imports.deleteImportedExcept(DEMO_ORG, {
      credentialId: DEMO_CREDENTIAL,
      sourceSystems: DEMO_SOURCES,
      keepRuns: done.map((i) => i.importId),
      ingestedBefore: began,
    });
    if (dropped > 0)
      this.logger.log(
        `Removed ${dropped} demo rows of an earlier seeding (this one is ${isoDay(year.start)} to ${isoDay(new Date(end))})`,
      );
  }

  private async onboard(signal: AbortSignal | undefined): Promise<string> {
    const rootKey = this.config.rootApiKey;
    if (!rootKey)
      throw new Error('The demo needs the root key (CA_ROOT_API_KEY) to onboard its organization');
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const onboard = (fields: Record<string, unknown>) =>
      fastify.inject({
        method: 'POST',
        url: '/api/v1/organizations/onboard',
        headers: { 'x-ca-root-key': rootKey, 'content-type': 'application/json' },
        payload: {
          org_slug: DEMO_ORG,
          company_name: 'Demo Company',
          admin_email: 'finops@demo.example',
          ...fields,
        },
      });
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (;;) {
      let res = await onboard({
        subscription_plan: 'PROFESSIONAL',
        // An offboarded demo org leaves its dataset (delete_dataset defaults to false), which
        // onboarding refuses (409 DATASET_EXISTS) unless adopted: every DEMO_DATA start then
        // failed. The dataset of `demo_org` only ever held the demo's rows.
        adopt_existing_dataset: true,
      });
      // The org is there: re-synced for its key, without a plan, so that it keeps the plan and
      // limits it has (PUT .../subscription), which a plan sent would reset at every start.
      if (res.statusCode === 409 && errorCode(res.body) === OrganizationsErrorCode.OrgExists)
        res = await onboard({ regenerate_api_key_if_exists: true });
      if (res.statusCode === 200) return res.json<{ api_key: string }>().api_key;
      // A start killed while it onboarded (or wrote to) the org left its lease, live until its TTL:
      // waited out (the next onboarding resumes what it left), not a failed start.
      const retryAfter = Math.max(1, Number(res.headers['retry-after']) || 1);
      const busy = res.statusCode === 409 && BUSY_CODES.has(errorCode(res.body) ?? '');
      if (!busy || Date.now() + retryAfter * 1000 > deadline)
        throw new Error(`Demo onboarding failed (${res.statusCode}): ${res.body}`);
      this.logger.warn(
        `Demo organization ${DEMO_ORG} is busy (${errorCode(res.body)}); retrying in ${retryAfter} s`,
      );
      checkNotInterrupted(signal);
      await sleep(retryAfter * 1000, undefined, { signal }).catch(() => undefined);
      checkNotInterrupted(signal);
    }
  }

  /** Writes the key to `demo-api-key` in the data folder, readable by its owner only. */
  private async keepKey(apiKey: string): Promise<string> {
    const file = path.join(this.config.dataDir, 'demo-api-key');
    await mkdir(this.config.dataDir, { recursive: true });
    await writeFile(file, `${apiKey}\n`, { mode: 0o600 });
    // The mode above applies only to a new file.
    await chmod(file, 0o600);
    return file;
  }

  private async importSource(
    source: string,
    year: DemoYear,
    dir: string,
    signal: AbortSignal | undefined,
  ): Promise<DemoImport> {
    const file = path.join(dir, `${source}.parquet`);
    const frame = withTypedNullColumns(demoFrame(source, year));
    frame.writeParquet(file);
    this.logger.log(`Importing ${frame.height} demo rows of ${source}`);
    const started = await this.imports.start({
      org: DEMO_ORG,
      body: createReadStream(file),
      mediaType: 'application/vnd.apache.parquet',
      sourceSystem: source,
      credentialId: DEMO_CREDENTIAL,
      credentialNamed: true,
      onError: 'reject',
      preferAsync: true,
    });
    await started.finished;
    const { job } = started;
    if (job.status !== 'completed') {
      // Stopped by the signal (COST_IMPORT_INTERRUPTED): no failure of the demo's.
      checkNotInterrupted(signal);
      throw new Error(`Demo import of ${source} ended ${job.status}: ${job.failure?.message ?? 'no detail'}`);
    }
    return { source, importId: job.id, rows: job.rowsImported, replaced: job.rowsReplaced };
  }
}

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

/** A column that is null in every row has no type; Parquet needs one, and these are all text. */
function withTypedNullColumns(frame: pl.DataFrame): pl.DataFrame {
  const untyped = frame.columns.filter((c) => frame.getColumn(c).dtype.equals(pl.Null));
  return untyped.length ? frame.withColumns(...untyped.map((c) => pl.col(c).cast(pl.Utf8))) : frame;
}
