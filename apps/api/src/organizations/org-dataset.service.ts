import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig, validationError } from '#platform';
import {
  CENTRAL_DATASET,
  SchemaRegistry,
  tableDrift,
  WAREHOUSE,
  type Warehouse,
  WarehouseError,
  WarehouseErrorCode,
} from '#warehouse';
import { TableDiffDto } from '../common/table-diff.dto.js';
import { OrganizationsError, OrganizationsErrorCode } from './organizations.errors.js';

export interface DatasetCreation {
  datasetId: string;
  datasetCreated: boolean;
  /**
   * No dataset was there before this creation (seen under the org's lifecycle lease), so whatever
   * is there when it is taken back is its own, also when the warehouse did not say it made it: a
   * datasets.insert that timed out, or whose lost answer the client retried into a 409.
   */
  absentBefore: boolean;
  tablesCreated: string[];
  viewsCreated: string[];
}

/** A creation's record before its first step (`absentBefore`: see DatasetCreation). */
export const datasetCreation = (absentBefore = false): DatasetCreation => ({
  datasetId: '',
  datasetCreated: false,
  absentBefore,
  tablesCreated: [],
  viewsCreated: [],
});

export interface DatasetInspection {
  datasetExists: boolean;
  expected: string[];
  existing: string[];
  missing: string[];
  /** Registry views not in the dataset (all of them when the dataset is missing). */
  viewsMissing: string[];
  diffs: Record<string, TableDiffDto>;
}

export interface DatasetSyncOptions {
  syncMissingTables: boolean;
  syncMissingColumns: boolean;
  recreateViews: boolean;
}

export interface DatasetSyncResult {
  datasetCreated: boolean;
  tablesCreated: string[];
  columnsAdded: Record<string, string[]>;
  viewsCreated: string[];
  errors: string[];
}

export interface DatasetRepairResult {
  datasetId: string;
  tablesCreated: string[];
  tablesExisting: string[];
  tablesFailed: string[];
  viewsCreated: string[];
  viewsFailed: string[];
}

/**
 * The per-org dataset `{org}_{env}`: its 19 tables (partitioning and clustering from the schema
 * registry) and views. Creation remembers what it created so onboarding can take exactly that back.
 */
@Injectable()
export class OrgDatasetService {
  private readonly logger = new Logger(OrgDatasetService.name);

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly registry: SchemaRegistry,
    private readonly config: AppConfig,
  ) {}

  datasetId(org: string): string {
    return this.config.orgDataset(org);
  }

  exists(org: string): Promise<boolean> {
    return this.warehouse.datasetExists(this.datasetId(org));
  }

  /** The org's dataset's location: the warehouse's word, else the one asked for, else the default. */
  async location(org: string, asked: string | undefined): Promise<string> {
    const held = await this.warehouse.datasetLocation(this.datasetId(org));
    return held ?? asked ?? this.config.env.BIGQUERY_LOCATION;
  }

  /**
   * Before an org's dataset is made at `asked`: BigQuery runs a query in one location, and the
   * org's views read the central dataset, so a dataset elsewhere could not take them (nor any job
   * run where the central dataset is: "Not found: Dataset … was not found in location US"); the
   * onboarding failed at its dataset step, rolled back, with a 500. Refused (422) before anything
   * is written. A dataset that exists stays where it is; the embedded warehouse has no locations.
   */
  async checkLocation(org: string, asked: string | undefined): Promise<void> {
    if (asked === undefined) return;
    const central = await this.warehouse.datasetLocation(CENTRAL_DATASET);
    if (central === null || central.toLowerCase() === asked.toLowerCase() || (await this.exists(org))) return;
    throw validationError([
      {
        field: 'dataset_location',
        message:
          `must be ${central}, where the central dataset '${CENTRAL_DATASET}' is: the organization's ` +
          "views read it, and BigQuery reads a query's tables in one location",
      },
    ]);
  }

  /**
   * Before a new org is created: a dataset left under its slug belongs to an earlier org (offboarded
   * without `delete_dataset`, or a creation whose clean-up failed). Its cost rows would be served to
   * the new org's keys, which may be another company's, so it is taken over only when asked.
   */
  async ensureNoEarlierDataset(org: string, adopt: boolean): Promise<{ datasetAbsent: boolean }> {
    const exists = await this.exists(org);
    if (!exists || adopt) return { datasetAbsent: !exists };
    throw new OrganizationsError(
      OrganizationsErrorCode.DatasetExists,
      `Dataset ${this.datasetId(org)} of an earlier organization '${org}' still exists. Onboard with ` +
        'adopt_existing_dataset=true to take it over with its data, or offboard the slug with ' +
        'delete_dataset=true first.',
      { extra: { dataset_id: this.datasetId(org) } },
    );
  }

  /**
   * Creates the dataset, its missing tables and the views, recording progress in `progress` as it
   * goes, so that a failure half-way still tells the caller what to remove.
   */
  async create(org: string, location: string | undefined, progress: DatasetCreation): Promise<void> {
    const dataset = this.datasetId(org);
    progress.datasetId = dataset;
    progress.datasetCreated = await this.warehouse.ensureDataset(dataset, {
      location: location ?? this.config.env.BIGQUERY_LOCATION,
      description: `Cost and usage data of organization ${org}`,
    });
    for (const table of this.registry.orgTables())
      if (await this.warehouse.ensureTable(dataset, table)) progress.tablesCreated.push(table.name);
    for (const view of this.registry.orgViews()) {
      const existed = (await this.warehouse.describeTable(dataset, view.name)) !== null;
      await this.createView(org, view.name);
      if (!existed) progress.viewsCreated.push(view.name);
    }
  }

  /** Takes back what `create` recorded: the whole dataset if it is its own, else its own tables and views. */
  async undo(progress: DatasetCreation): Promise<void> {
    if (!progress.datasetId) return;
    if (progress.datasetCreated || progress.absentBefore) {
      await this.warehouse.dropDataset(progress.datasetId);
      return;
    }
    for (const name of [...progress.viewsCreated, ...progress.tablesCreated])
      await this.warehouse.dropTable(progress.datasetId, name);
  }

  drop(org: string): Promise<boolean> {
    return this.warehouse.dropDataset(this.datasetId(org));
  }

  async inspect(org: string): Promise<DatasetInspection> {
    const dataset = this.datasetId(org);
    const expected = this.registry.orgTables();
    const names = expected.map((t) => t.name);
    const views = this.registry.orgViews().map((v) => v.name);
    const present = await this.tableNames(dataset);
    if (!present)
      return {
        datasetExists: false,
        expected: names,
        existing: [],
        missing: names,
        viewsMissing: views,
        diffs: {},
      };
    const diffs: Record<string, TableDiffDto> = {};
    for (const table of expected.filter((t) => present.has(t.name))) {
      const diff = TableDiffDto.of(
        tableDrift(table, await this.warehouse.describeTable(dataset, table.name)),
      );
      if (diff) diffs[table.name] = diff;
    }
    return {
      datasetExists: true,
      expected: names,
      existing: names.filter((n) => present.has(n)),
      missing: names.filter((n) => !present.has(n)),
      viewsMissing: await this.viewsMissing(dataset, views, present),
      diffs,
    };
  }

  /** The dataset's tables and views, or null when it is missing (also when dropped after it was seen). */
  private async tableNames(dataset: string): Promise<Set<string> | null> {
    if (!(await this.warehouse.datasetExists(dataset))) return null;
    try {
      return new Set(await this.warehouse.listTables(dataset));
    } catch (err) {
      if (err instanceof WarehouseError && err.code === WarehouseErrorCode.NotFound) return null;
      throw err;
    }
  }

  /** The views not there as views: a plain table under a view's name is not the view. */
  private async viewsMissing(dataset: string, views: string[], present: Set<string>): Promise<string[]> {
    const kinds = await Promise.all(
      views.map(async (n) =>
        present.has(n) ? (await this.warehouse.describeTable(dataset, n))?.kind : undefined,
      ),
    );
    return views.filter((_, i) => kinds[i] !== 'VIEW');
  }

  /** Additive only: never drops a table or a column. */
  async sync(org: string, options: DatasetSyncOptions): Promise<DatasetSyncResult> {
    const dataset = this.datasetId(org);
    const result: DatasetSyncResult = {
      datasetCreated: await this.warehouse.ensureDataset(dataset, {
        location: this.config.env.BIGQUERY_LOCATION,
      }),
      tablesCreated: [],
      columnsAdded: {},
      viewsCreated: [],
      errors: [],
    };
    for (const table of this.registry.orgTables()) {
      try {
        const description = await this.warehouse.describeTable(dataset, table.name);
        if (!description) {
          if (options.syncMissingTables && (await this.warehouse.ensureTable(dataset, table)))
            result.tablesCreated.push(table.name);
          continue;
        }
        if (!options.syncMissingColumns) continue;
        const have = new Set(description.columns.map((c) => c.name));
        const missing = table.fields.filter((f) => !have.has(f.name));
        if (!missing.length) continue;
        // A REQUIRED column cannot be added to a table that has rows: it is added as NULLABLE.
        await this.warehouse.addColumns(
          dataset,
          table.name,
          missing.map((f) => ({ ...f, mode: f.mode === 'REPEATED' ? 'REPEATED' : 'NULLABLE' })),
        );
        result.columnsAdded[table.name] = missing.map((f) => f.name);
      } catch (err) {
        this.logger.error(`Sync of ${dataset}.${table.name} failed: ${String(err)}`);
        result.errors.push(`${table.name}: could not be synced`);
      }
    }
    for (const view of this.registry.orgViews()) {
      try {
        const exists = (await this.warehouse.describeTable(dataset, view.name)) !== null;
        if (exists && !options.recreateViews) continue;
        await this.createView(org, view.name);
        result.viewsCreated.push(view.name);
      } catch (err) {
        this.logger.error(`View ${dataset}.${view.name} could not be created: ${String(err)}`);
        result.errors.push(`${view.name}: view could not be created`);
      }
    }
    return result;
  }

  /**
   * Creates whichever registry tables and views are missing, one by one, so one failure does not
   * stop the rest. Never touches what is there (existing views are not replaced).
   */
  async repair(org: string): Promise<DatasetRepairResult> {
    const dataset = this.datasetId(org);
    await this.warehouse.ensureDataset(dataset, { location: this.config.env.BIGQUERY_LOCATION });
    const result: DatasetRepairResult = {
      datasetId: dataset,
      tablesCreated: [],
      tablesExisting: [],
      tablesFailed: [],
      viewsCreated: [],
      viewsFailed: [],
    };
    for (const table of this.registry.orgTables()) {
      try {
        ((await this.warehouse.ensureTable(dataset, table))
          ? result.tablesCreated
          : result.tablesExisting
        ).push(table.name);
      } catch (err) {
        this.logger.error(`Repair of ${dataset}.${table.name} failed: ${String(err)}`);
        result.tablesFailed.push(table.name);
      }
    }
    for (const view of this.registry.orgViews()) {
      try {
        if ((await this.warehouse.describeTable(dataset, view.name)) !== null) continue;
        await this.createView(org, view.name);
        result.viewsCreated.push(view.name);
      } catch (err) {
        this.logger.error(`View ${dataset}.${view.name} could not be created: ${String(err)}`);
        result.viewsFailed.push(view.name);
      }
    }
    return result;
  }

  private async createView(org: string, view: string): Promise<void> {
    const sql = this.registry.expandView(view, {
      dataset: this.datasetId(org),
      central: this.centralRef(),
      orgSlug: org,
    });
    await this.warehouse.createOrReplaceView(this.datasetId(org), view, sql);
  }

  /** BigQuery resolves a view's unqualified dataset against the querying project, so qualify it there. */
  private centralRef(): string {
    const project = this.config.env.GCP_PROJECT_ID;
    return this.warehouse.driver === 'bigquery' && project
      ? `${project}.${CENTRAL_DATASET}`
      : CENTRAL_DATASET;
  }
}
