import { Inject, Injectable, Logger } from '@nestjs/common';
import { ENCRYPTOR, type Encryptor, LocalKeyEncryptor } from '#crypto';
import type { Redis } from 'ioredis';
import { AppConfig, REDIS_CLIENT, within } from '#platform';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import {
  CENTRAL_DATASET,
  SchemaRegistry,
  WAREHOUSE,
  type Warehouse,
  WarehouseError,
  WarehouseErrorCode,
} from '#warehouse';
import { storedSecretKeys } from '../engines/stored-secret-keys.js';

export interface CheckResult {
  status: 'ok' | 'failing';
  latency_ms: number;
  error?: string;
}

/** A failure the readiness body names (the others are only `timeout` or `unavailable`). */
class NamedCheckFailure extends Error {}

/**
 * Redis answers a PING; not asked unless connected, where the PING would wait in the offline queue
 * for the command timeout (a second) on every probe of an outage, though Redis does not decide
 * readiness: a probe with a one-second timeout took the instances out. (A first connection still
 * being made, for the few milliseconds after the start, is reported as not connected too.)
 */
async function redisAnswers(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') throw new NamedCheckFailure('not connected');
  await redis.ping();
}

/** The tables without which no authenticated route can work. */
const SETUP_TABLES = ['org_profiles', 'org_api_keys'];

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return within(work, ms, () => new Error(`${what} did not answer within ${ms} ms`));
}

/**
 * How long one readiness result answers every probe. `/health/ready` is public and unlimited (load
 * balancers and orchestrators poll it): without this, each request would run a warehouse job (a
 * billed BigQuery query in production) and take a tenancy-DB connection, so a flood of anonymous
 * probes would load both for every tenant. Probes poll every few seconds, so they see no staleness.
 */
export const READINESS_REUSE_MS = 1_000;

/**
 * How long a successful key check answers: with Cloud KMS each check is a billed Encrypt call,
 * and a key rarely stops working between two minutes. A failed check is tried again at once.
 */
export const ENCRYPTION_CHECK_REUSE_MS = 60_000;

/**
 * Checks that are reported but do not take the instance out of rotation: without the
 * encryption key only the routes that store or reveal credentials fail (cost reads, the validator
 * without credentials and the rest still work), and every instance shares the key, so a KMS
 * outage would otherwise take them all out at once. Without Redis (when configured) each instance
 * counts rate limits on its own and learns of other instances' invalidations only as its caches
 * expire: degraded, shown here, but every route still answers.
 */
export const ADVISORY_CHECKS: ReadonlySet<string> = new Set(['encryption', 'redis']);

/**
 * How long setup tables found with all their columns are not described again: each description is
 * a BigQuery tables.get, an API method limited per user and second across every instance
 * (BigQuery quotas, "API quotas and limits": https://cloud.google.com/bigquery/quotas), and columns are not dropped
 * between two probes. A failed check is tried again at the next probe.
 */
export const SETUP_COLUMNS_REUSE_MS = 60_000;

/**
 * How long a check still running is waited for by the probes that follow, rather than started
 * again: a hung engine (a stalled connection, a pool whose connections are all taken) would
 * otherwise get one more call from every probe after the timeout, each left waiting on it. Past
 * this, a probe starts another, so a call that never settles cannot keep the check failing for good.
 */
export const RUNNING_CHECK_REUSE_MS = 60_000;

type Readiness = Record<string, CheckResult>;

@Injectable()
export class HealthService {
  /** The check in progress, shared by the requests that arrive meanwhile, then its result for a while. */
  private latest: { result: Promise<Readiness>; until: number } | null = null;
  private keyChecked: { result: Promise<void>; until: number } | null = null;
  /** Until when the setup tables' columns, found complete, are not described again. */
  private columnsCheckedUntil = 0;
  /** Each check still running, by name, and when it started (see RUNNING_CHECK_REUSE_MS). */
  private readonly running = new Map<string, { work: Promise<unknown>; startedAt: number }>();
  /**
   * The checks failing at the last readiness check. The body names a failing engine's check only
   * (`unavailable`, never connection details), and the probes' access lines are at debug: without a
   * line here an instance taken out of rotation left no word of why in the logs. One line when a
   * check starts failing and one when it answers again, not one per probe.
   */
  private readonly failing = new Set<string>();
  private readonly logger = new Logger('Readiness');

  constructor(
    private readonly config: AppConfig,
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(TENANCY_DB) private readonly tenancyDb: TenancyDb,
    private readonly registry: SchemaRegistry,
    @Inject(ENCRYPTOR) private readonly encryptor: Encryptor,
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
  ) {}

  /**
   * The encryption key answers and, for a local key file, is the key the stored values in use were
   * encrypted with: a key file replaced since then answers too, but cannot read them.
   */
  private async keyWorks(): Promise<void> {
    await this.encryptor.ping();
    const local = this.encryptor instanceof LocalKeyEncryptor ? this.encryptor : null;
    if (local && (await storedSecretKeys(this.warehouse)).some((k) => !local.owns(k.kind, k.keyId)))
      throw new NamedCheckFailure('stored values use another key');
  }

  /** The encryption key works (ENCRYPTION_CHECK_REUSE_MS). */
  private checkKey(): Promise<void> {
    const now = performance.now();
    if (this.keyChecked && now < this.keyChecked.until) return this.keyChecked.result;
    // Shared while it runs, but not past the readiness timeout: past it, the probes wait for the
    // call still running as for every check (RUNNING_CHECK_REUSE_MS), then try again.
    const checked = {
      result: this.keyWorks(),
      until: now + this.config.env.HEALTH_CHECK_TIMEOUT_MS,
    };
    this.keyChecked = checked;
    void checked.result.then(
      () => (checked.until = performance.now() + ENCRYPTION_CHECK_REUSE_MS),
      () => (checked.until = 0),
    );
    return checked.result;
  }

  /** Concurrent and back-to-back probes share one check (see READINESS_REUSE_MS). */
  readiness(): Promise<Readiness> {
    const now = performance.now();
    if (this.latest && now < this.latest.until) return this.latest.result;
    const latest = { result: this.check(), until: Number.POSITIVE_INFINITY };
    this.latest = latest;
    void latest.result.then(() => {
      latest.until = performance.now() + READINESS_REUSE_MS;
    });
    return latest.result;
  }

  /**
   * The tables every authenticated route reads, with the registry's columns: the key lookup selects
   * columns the replaced system's tables do not have (key_fingerprint), so a taken-over dataset
   * not yet synced (BOOTSTRAP_ON_START=false) answers every org key 503 while the tables exist.
   */
  private async checkSetup(): Promise<void> {
    const listed = await this.warehouse.listTables(CENTRAL_DATASET).catch((err: unknown) => {
      // BigQuery answers the tables of a dataset that does not exist 404 (DuckDB: none).
      if (err instanceof WarehouseError && err.code === WarehouseErrorCode.NotFound)
        throw new NamedCheckFailure(`missing dataset ${CENTRAL_DATASET}; POST /api/v1/admin/bootstrap`);
      throw err;
    });
    const tables = new Set(listed);
    const expected = SETUP_TABLES.map((t) => this.registry.centralTable(t));
    const missing = expected.filter((t) => !tables.has(t.name)).map((t) => t.name);
    if (missing.length)
      throw new NamedCheckFailure(`missing ${missing.join(', ')}; POST /api/v1/admin/bootstrap/sync`);
    if (performance.now() < this.columnsCheckedUntil) return;
    for (const table of expected) {
      const description = await this.warehouse.describeTable(CENTRAL_DATASET, table.name);
      const have = new Set(description?.columns.map((c) => c.name) ?? []);
      if (table.fields.some((f) => !have.has(f.name)))
        throw new NamedCheckFailure(`${table.name} lacks columns; POST /api/v1/admin/bootstrap/sync`);
    }
    this.columnsCheckedUntil = performance.now() + SETUP_COLUMNS_REUSE_MS;
  }

  /** The check `name` still running since an earlier probe (RUNNING_CHECK_REUSE_MS), else a new one. */
  private runOnce(name: string, work: () => Promise<unknown>, now: number): Promise<unknown> {
    const current = this.running.get(name);
    if (current && now - current.startedAt < RUNNING_CHECK_REUSE_MS) return current.work;
    const started = { work: Promise.resolve().then(work), startedAt: now };
    this.running.set(name, started);
    const settled = () => {
      if (this.running.get(name) === started) this.running.delete(name);
    };
    started.work.then(settled, settled);
    return started.work;
  }

  /** Each dependency must answer within the timeout; the message never carries connection details. */
  private async check(): Promise<Readiness> {
    const ms = this.config.env.HEALTH_CHECK_TIMEOUT_MS;
    const run = async (name: string, work: () => Promise<unknown>): Promise<[string, CheckResult]> => {
      const start = performance.now();
      try {
        await withTimeout(this.runOnce(name, work, start), ms, name);
        if (this.failing.delete(name)) this.logger.log(`Readiness check ${name} answers again`);
        return [name, { status: 'ok', latency_ms: Math.round(performance.now() - start) }];
      } catch (err) {
        const timedOut = err instanceof Error && err.message.includes('did not answer');
        if (!this.failing.has(name)) {
          this.failing.add(name);
          // The logger masks credentials in the text, as in every message.
          const reason = err instanceof Error ? err.message : String(err);
          const advisory = ADVISORY_CHECKS.has(name) ? ' (reported only: the instance stays ready)' : '';
          this.logger.warn(`Readiness check ${name} failing: ${reason}${advisory}`);
        }
        return [
          name,
          {
            status: 'failing',
            latency_ms: Math.round(performance.now() - start),
            error: timedOut ? 'timeout' : err instanceof NamedCheckFailure ? err.message : 'unavailable',
          },
        ];
      }
    };
    const results = await Promise.all([
      run('warehouse', () => this.warehouse.ping(ms)),
      run('tenancy_db', () => this.tenancyDb.ping(ms)),
      run('setup', () => this.checkSetup()),
      run('encryption', () => this.checkKey()),
      ...(this.redis ? [run('redis', () => redisAnswers(this.redis as Redis))] : []),
    ]);
    return Object.fromEntries(results);
  }
}
