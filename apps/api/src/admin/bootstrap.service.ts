import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiKeyCache, AppConfig } from '#platform';
import {
  CENTRAL_DATASET,
  driftIsOutOfSync,
  SchemaRegistry,
  tableDrift,
  type TableSchema,
  WAREHOUSE,
  type Warehouse,
} from '#warehouse';
import { AdminError, AdminErrorCode } from './admin.errors.js';
import type {
  BootstrapRequestDto,
  BootstrapResponseDto,
  BootstrapStatusDto,
  BootstrapSyncRequestDto,
  BootstrapSyncResponseDto,
} from './dto/bootstrap.dto.js';
import { TableDiffDto } from '../common/table-diff.dto.js';
import { CentralLocation } from './central-location.js';
import { RequiredColumnsRepository } from './required-columns.repository.js';
import { pipelineServiceUrl } from '../common/pipeline-service-url.js';

const STATUS_CACHE_MS = 60_000;

/** Creates and checks the central `organizations` dataset from the schema registry (additive only, unless forced). */
@Injectable()
export class BootstrapService {
  private readonly logger = new Logger(BootstrapService.name);
  private statusCache: { at: number; value: BootstrapStatusDto } | null = null;
  /** Bumped by every change of the central tables: a status read that began before one is not kept. */
  private statusGeneration = 0;

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly registry: SchemaRegistry,
    private readonly config: AppConfig,
    private readonly apiKeys: ApiKeyCache,
    private readonly requiredColumns: RequiredColumnsRepository,
    private readonly location: CentralLocation,
  ) {}

  /**
   * The last change of the central tables on this instance: bootstraps and syncs run one after
   * another, so of two bootstraps sent at once the second finds the dataset and answers 409, and
   * two syncs do not both report the same columns added.
   */
  private changing: Promise<unknown> = Promise.resolve();

  /**
   * A broadcast Redis did not take is no failure of the bootstrap, whose tables are recreated by
   * then (a 500 would have the admin send a destructive request again): this instance's cache is
   * cleared at once, and the bus sends the message again until Redis takes it.
   */
  private async forgetKeys(): Promise<void> {
    try {
      await this.apiKeys.invalidateAll();
    } catch (err) {
      this.logger.warn(`API key cache invalidation could not be broadcast: ${String(err)}`);
    }
  }

  private oneAtATime<T>(change: () => Promise<T>): Promise<T> {
    const next = this.changing.then(change, change);
    this.changing = next.catch(() => undefined);
    return next;
  }

  bootstrap(req: BootstrapRequestDto): Promise<BootstrapResponseDto> {
    return this.oneAtATime(() => this.bootstrapOnce(req));
  }

  private async bootstrapOnce(req: BootstrapRequestDto): Promise<BootstrapResponseDto> {
    const exists = await this.warehouse.datasetExists(CENTRAL_DATASET);
    if (exists && !req.force_recreate_dataset && !req.force_recreate_tables)
      throw new AdminError(
        AdminErrorCode.AlreadyBootstrapped,
        'System already bootstrapped. Use force_recreate_dataset=true to recreate (DANGEROUS), or POST /api/v1/admin/bootstrap/sync to add what is missing.',
      );
    this.forgetStatus();
    let tables: { datasetCreated: boolean; created: string[]; existed: string[] };
    try {
      tables = await this.recreate(req, exists);
    } finally {
      this.forgetStatus();
      // The keys of org_api_keys went with its table, also when a later table then failed (a 500):
      // none may pass on what the auth cache remembers.
      if (exists) await this.forgetKeys();
    }
    const { datasetCreated, created, existed } = tables;
    const validation = await this.validate();
    const warnings = [...(await this.notifyPipelineService())];
    return {
      status: 'SUCCESS',
      dataset_created: datasetCreated,
      tables_created: created,
      tables_existed: existed,
      total_tables: created.length + existed.length,
      message: `Bootstrap complete: ${created.length} table(s) created, ${existed.length} already existed.`,
      schema_validation: validation,
      warnings,
    };
  }

  /** The dataset and its tables, dropped first as the force flags ask. */
  private async recreate(
    req: BootstrapRequestDto,
    exists: boolean,
  ): Promise<{ datasetCreated: boolean; created: string[]; existed: string[] }> {
    if (exists && req.force_recreate_dataset) await this.warehouse.dropDataset(CENTRAL_DATASET);
    const datasetCreated = await this.warehouse.ensureDataset(CENTRAL_DATASET, {
      location: this.config.env.BIGQUERY_LOCATION,
      description: 'Central dataset for organization management',
    });
    // Another instance created it since the check above (two bootstraps sent at once to two
    // instances; the queue above is per instance): that one bootstraps, this one finds it.
    if (!exists && !datasetCreated && !req.force_recreate_dataset && !req.force_recreate_tables)
      throw new AdminError(
        AdminErrorCode.AlreadyBootstrapped,
        'System already bootstrapped (by a bootstrap sent at the same time). POST /api/v1/admin/bootstrap/sync adds what is missing.',
      );
    const created: string[] = [];
    const existed: string[] = [];
    for (const table of this.registry.centralTables()) {
      if (req.force_recreate_tables && !datasetCreated)
        await this.warehouse.dropTable(CENTRAL_DATASET, table.name);
      ((await this.warehouse.ensureTable(CENTRAL_DATASET, table)) ? created : existed).push(table.name);
    }
    return { datasetCreated, created, existed };
  }

  async status(forceRefresh = false): Promise<BootstrapStatusDto> {
    const cached = this.statusCache;
    if (!forceRefresh && cached && Date.now() - cached.at < STATUS_CACHE_MS) return cached.value;
    const generation = this.statusGeneration;
    const expected = this.registry.centralTables();
    const exists = await this.warehouse.datasetExists(CENTRAL_DATASET);
    if (!exists) {
      this.statusCache = null;
      return {
        status: 'NOT_BOOTSTRAPPED',
        dataset_exists: false,
        tables_expected: expected.length,
        tables_existing: [],
        tables_missing: expected.map((t) => t.name),
        tables_extra: [],
        schema_diffs: {},
        message: 'The central dataset does not exist; POST /api/v1/admin/bootstrap.',
      };
    }
    const existing = new Set(await this.warehouse.listTables(CENTRAL_DATASET));
    const missing = expected.filter((t) => !existing.has(t.name)).map((t) => t.name);
    const extra = [...existing].filter((t) => !expected.some((e) => e.name === t)).sort();
    const diffs: Record<string, TableDiffDto> = {};
    // Elsewhere than BIGQUERY_LOCATION, the tables' rows cannot be read (nor could any org's).
    const misplaced = await this.location.mismatch();
    for (const table of misplaced ? [] : expected.filter((t) => existing.has(t.name))) {
      const diff = await this.diff(table);
      if (diff) diffs[table.name] = diff;
    }
    const nulls = Object.entries(diffs).flatMap(([t, d]) =>
      Object.keys(d.nulls_in_required_columns ?? {}).map((c) => `${t}.${c}`),
    );
    const retyped = Object.entries(diffs).flatMap(([t, d]) =>
      (d.type_mismatches ?? []).map((m) => `${t}.${m.column} (${m.actual}, not ${m.expected})`),
    );
    const outOfSync =
      misplaced !== null ||
      missing.length > 0 ||
      nulls.length > 0 ||
      Object.values(diffs).some(driftIsOutOfSync);
    const value: BootstrapStatusDto = {
      status: outOfSync ? 'OUT_OF_SYNC' : 'SYNCED',
      dataset_exists: true,
      tables_expected: expected.length,
      tables_existing: [...existing].filter((t) => expected.some((e) => e.name === t)).sort(),
      tables_missing: missing,
      tables_extra: extra,
      schema_diffs: diffs,
      message: misplaced
        ? `${misplaced}; no sync changes it.`
        : outOfSync
          ? `${missing.length} table(s) missing, ${Object.keys(diffs).length} table(s) differ; POST /api/v1/admin/bootstrap/sync.` +
            (nulls.length
              ? ` REQUIRED column(s) holding NULL, which no sync fills: ${nulls.join(', ')}.`
              : '') +
            (retyped.length
              ? ` Column(s) of another type, which no sync changes: ${retyped.join(', ')}.`
              : '')
          : 'All central tables match the schema registry.',
    };
    if (generation === this.statusGeneration) this.statusCache = { at: Date.now(), value };
    return value;
  }

  private forgetStatus(): void {
    this.statusGeneration++;
    this.statusCache = null;
  }

  /** Additive only: missing tables, and (when asked) missing columns added as NULLABLE. */
  sync(req: BootstrapSyncRequestDto): Promise<BootstrapSyncResponseDto> {
    return this.oneAtATime(async () => {
      this.forgetStatus();
      try {
        return await this.syncTables(req);
      } finally {
        // A status read while the tables changed may have seen them half-way.
        this.forgetStatus();
      }
    });
  }

  private async syncTables(req: BootstrapSyncRequestDto): Promise<BootstrapSyncResponseDto> {
    const tablesCreated: string[] = [];
    const columnsAdded: Record<string, string[]> = {};
    const errors: string[] = [];
    /** Differences the request asked to leave alone: the message must not call the tables in sync. */
    const leftAlone = { tables: 0, columns: 0 };
    // Not when the tables are left out: an empty dataset reads as bootstrapped, and POST /bootstrap
    // would then answer 409 on a system that has no table.
    if (req.sync_missing_tables)
      await this.warehouse.ensureDataset(CENTRAL_DATASET, { location: this.config.env.BIGQUERY_LOCATION });
    for (const table of this.registry.centralTables()) {
      try {
        const description = await this.warehouse.describeTable(CENTRAL_DATASET, table.name);
        if (!description) {
          if (!req.sync_missing_tables) leftAlone.tables++;
          else if (await this.warehouse.ensureTable(CENTRAL_DATASET, table)) tablesCreated.push(table.name);
          continue;
        }
        const have = new Set(description.columns.map((c) => c.name));
        const missing = table.fields.filter((f) => !have.has(f.name));
        let columns = description.columns;
        if (missing.length && !req.sync_missing_columns) leftAlone.columns++;
        else if (missing.length) {
          // BigQuery adds no REQUIRED column to a table that exists: it is added as NULLABLE, and
          // the rows already there hold NULL in it (reported below).
          const added = missing.map(
            (f) => ({ ...f, mode: f.mode === 'REPEATED' ? 'REPEATED' : 'NULLABLE' }) as const,
          );
          await this.warehouse.addColumns(CENTRAL_DATASET, table.name, added);
          columnsAdded[table.name] = missing.map((f) => f.name);
          columns = [...columns, ...added];
        }
        const nulls = await this.requiredColumns.nullCounts(CENTRAL_DATASET, table, {
          ...description,
          columns,
        });
        // A column of another type fails the reads and writes of it, and no sync changes a type:
        // the status says OUT_OF_SYNC, so the sync must not answer "Already in sync".
        for (const m of tableDrift(table, { ...description, columns }).type_mismatches)
          errors.push(
            `${table.name}.${m.column}: ${m.actual}, not ${m.expected}; no sync changes a column's type, migrate it by hand`,
          );
        for (const [column, rows] of Object.entries(nulls))
          errors.push(
            `${table.name}.${column}: REQUIRED, yet NULL in ${rows} row(s) (a column a sync adds is ` +
              'NULLABLE, and rows written before it have no value); fill it, no sync does',
          );
      } catch (err) {
        this.logger.error({ err, table: table.name }, 'bootstrap sync failed for a table');
        errors.push(`${table.name}: could not be synced`);
      }
    }
    const changes = tablesCreated.length + Object.keys(columnsAdded).length;
    const left = [
      leftAlone.tables ? `${leftAlone.tables} missing table(s) left out (sync_missing_tables=false)` : '',
      leftAlone.columns
        ? `${leftAlone.columns} table(s) missing columns left as they are (sync_missing_columns=false)`
        : '',
    ].filter(Boolean);
    return {
      status: errors.length ? 'PARTIAL' : 'SUCCESS',
      tables_created: tablesCreated,
      columns_added: columnsAdded,
      errors,
      message:
        changes === 0 && !errors.length && !left.length
          ? 'Already in sync - no changes needed'
          : [
              `Created ${tablesCreated.length} table(s), added columns to ${Object.keys(columnsAdded).length}.`,
              ...left.map((l) => `${l}.`),
            ].join(' '),
    };
  }

  /** At start on a fresh data folder: the dataset and every missing table (idempotent). */
  async ensureBootstrapped(): Promise<void> {
    const result = await this.sync({ sync_missing_tables: true, sync_missing_columns: true });
    if (result.tables_created.length || Object.keys(result.columns_added).length)
      this.logger.log(`Bootstrapped central dataset: ${result.message}`);
    for (const error of result.errors) this.logger.warn(`Central dataset: ${error}`);
  }

  /** How the table differs from the registry, or null when it matches. */
  private async diff(table: TableSchema): Promise<TableDiffDto | null> {
    const description = await this.warehouse.describeTable(CENTRAL_DATASET, table.name);
    const nulls = description
      ? await this.requiredColumns.nullCounts(CENTRAL_DATASET, table, description)
      : {};
    return TableDiffDto.of(tableDrift(table, description), nulls);
  }

  private async validate(): Promise<BootstrapResponseDto['schema_validation']> {
    const status = await this.status(true);
    const errors = [
      ...status.tables_missing.map((t) => `missing table ${t}`),
      ...Object.entries(status.schema_diffs).flatMap(([t, d]) => [
        ...d.missing_columns.map((c) => `${t}: missing column ${c}`),
        ...(d.type_mismatches ?? []).map((m) => `${t}: column ${m.column} is ${m.actual}, not ${m.expected}`),
      ]),
    ];
    const warnings = Object.entries(status.schema_diffs).flatMap(([t, d]) =>
      d.extra_columns.map((c) => `${t}: extra column ${c}`),
    );
    return {
      valid: errors.length === 0,
      errors,
      warnings,
      tables_validated: status.tables_existing.length,
      validation_timestamp: new Date().toISOString(),
    };
  }

  /**
   * Best effort: the pipeline service refreshes its stored procedures; a failure is only a warning.
   * A redirect is not followed but reported (its 3xx): fetch would send the root key on to wherever
   * it points, another host included (only Authorization and Cookie are dropped across origins,
   * https://fetch.spec.whatwg.org/#http-redirect-fetch), such as the sign-in page an
   * identity-aware proxy in front of the service redirects to.
   */
  private async notifyPipelineService(): Promise<string[]> {
    const url = pipelineServiceUrl(this.config.env.PIPELINE_SERVICE_URL, '/api/v1/procedures/sync');
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ca-root-key': this.config.rootApiKey ?? '' },
        body: JSON.stringify({ force: true }),
        redirect: 'manual',
        signal: AbortSignal.timeout(5_000),
      });
      return res.ok ? [] : [`Pipeline service procedure sync answered ${res.status}`];
    } catch {
      return ['Pipeline service procedure sync could not be reached'];
    }
  }
}
