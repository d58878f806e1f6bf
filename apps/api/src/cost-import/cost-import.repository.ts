import { Inject, Injectable } from '@nestjs/common';
import {
  central,
  type FieldSchema,
  type FieldType,
  param,
  type ParamValue,
  type QueryParams,
  type Row,
  SchemaRegistry,
  tableRef,
  type TableSchema,
  WAREHOUSE,
  type Warehouse,
} from '#warehouse';
import { COST_TABLE } from './focus-columns.js';

/** An org's imported rows to delete: see CostImportRepository.deleteOtherRuns. */
export interface ImportedRowsToDrop {
  credentialId: string;
  sourceSystems: readonly string[];
  keepRuns: readonly string[];
  ingestedBefore: Date;
}

/** What the import needs to know about the org: where its costs live and what to stamp on rows. */
export interface OrgImportTarget {
  dataset: string;
  companyName: string;
  adminEmail: string;
  currency: string | null;
  timezone: string | null;
  country: string | null;
  plan: string | null;
  status: string;
}

interface ProfileRow extends Row {
  org_dataset_id: string;
  company_name: string;
  admin_email: string;
  status: string;
  subscription_plan: string | null;
  default_currency: string | null;
  default_country: string | null;
  default_timezone: string | null;
}

/**
 * A staging table is dropped when its import ends, even on failure or shutdown; a crashed process
 * leaves it behind, and BigQuery then deletes it after this long (far beyond any import's length).
 */
const STAGE_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** The only SQL of the cost import: the org lookup, the staging table and the one-statement swap. */
@Injectable()
export class CostImportRepository {
  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly schemas: SchemaRegistry,
  ) {}

  costSchema(): TableSchema {
    return this.schemas.orgTable(COST_TABLE);
  }

  /** null when the org has no profile, is deleted, or its cost table does not exist. */
  async findTarget(org: string): Promise<OrgImportTarget | null> {
    const [profile] = await this.warehouse.query<ProfileRow>(
      `SELECT org_dataset_id, company_name, admin_email, status, subscription_plan,
              default_currency, default_country, default_timezone
       FROM ${central('org_profiles')} WHERE org_slug = @org LIMIT 1`,
      { org },
    );
    if (!profile || profile.status === 'DELETED') return null;
    if (!(await this.warehouse.describeTable(profile.org_dataset_id, COST_TABLE))) return null;
    return {
      dataset: profile.org_dataset_id,
      companyName: profile.company_name,
      adminEmail: profile.admin_email,
      currency: profile.default_currency,
      timezone: profile.default_timezone,
      country: profile.default_country,
      plan: profile.subscription_plan,
      status: profile.status,
    };
  }

  /** Rows the FOCUS import wrote for the org (under this credential id, or any), by source system. */
  async countImported(
    org: string,
    dataset: string,
    credentialId: string | null,
  ): Promise<Map<string, number>> {
    const rows = await this.warehouse.query<{ source: string; n: number }>(
      `SELECT x_source_system AS source, COUNT(*) AS n FROM ${tableRef(dataset, COST_TABLE)}
       WHERE x_org_slug = @org AND x_pipeline_id = 'focus_import'
         AND (@credential IS NULL OR x_credential_id = @credential)
       GROUP BY x_source_system`,
      { org, credential: param.string(credentialId) },
    );
    return new Map(rows.map((r) => [r.source, Number(r.n)]));
  }

  /**
   * A table shaped like the cost table but holding only the import's columns, all nullable: rows
   * gather here, out of readers' sight, until the swap. Narrow, because writing the 101-column
   * table costs per column whether a value is given or not. NUMERIC columns are staged as FLOAT64
   * (see `toNumeric`) and cast back in the swap; JSON columns as their JSON text (STRING), parsed
   * in the swap: BigQuery loads a JSON column from CSV, Avro or JSON files only, never Parquet
   * (https://cloud.google.com/bigquery/docs/json-data#limitations), so a stage with one refused
   * every bulk load of a Parquet file holding Tags and sent it the row way, a DML INSERT of a few
   * hundred rows at a time.
   */
  async createStage(dataset: string, stage: string, columns: readonly string[]): Promise<void> {
    const byName = new Map(this.costSchema().fields.map((f) => [f.name, f]));
    const fields: FieldSchema[] = columns.map((name) => {
      const field = byName.get(name)!;
      return { ...field, type: STAGED_TYPE[field.type] ?? field.type, mode: 'NULLABLE' };
    });
    await this.warehouse.ensureTable(dataset, { name: stage, fields, expiresAfterMs: STAGE_LIFETIME_MS });
  }

  insertStage(dataset: string, stage: string, rows: Row[]): Promise<number> {
    return this.warehouse.insertRows({ dataset, table: stage }, rows);
  }

  /** Bulk-loads a Parquet file whose columns are the staging table's (the warehouse reads it). */
  loadStage(dataset: string, stage: string, path: string): Promise<number> {
    return this.warehouse.loadFile({ dataset, table: stage }, { path, format: 'parquet' });
  }

  /**
   * Replaces the org's rows of one source system, billing periods and charge days (ImportSlice)
   * with the staged rows, in one
   * MERGE: a single statement is atomic on BigQuery and DuckDB alike, so readers see the old slice
   * or the new one, never a mix, and a failure leaves the old slice. The lineage shared by every
   * row is written from parameters here rather than staged per row.
   *
   * The join on the run id never matches (no existing row carries this import's id), which makes
   * every staged row an insert and every target row "not matched by source"; an equality join lets
   * the engine hash-join, where `ON FALSE` makes DuckDB compare every pair (minutes, not seconds,
   * at a year of rows). Returns the rows deleted.
   */
  async replaceSlice(
    dataset: string,
    stage: string,
    staged: { columns: readonly string[]; rows: number },
    lineage: { runId: string; values: Readonly<Record<string, unknown>> },
    slice: {
      sourceSystem: string;
      credentialId: string | null;
      from: Date;
      to: Date;
      billingPeriods: readonly Date[];
    },
  ): Promise<number> {
    const types = new Map(this.costSchema().fields.map((f) => [f.name, f.type]));
    const constants = Object.keys(lineage.values);
    const params: QueryParams = {
      run_id: lineage.runId,
      source: slice.sourceSystem,
      credential: param.string(slice.credentialId),
      from: param.timestamp(slice.from),
      to: param.timestamp(slice.to),
    };
    constants.forEach((name, i) => (params[`l${i}`] = typedParam(types.get(name), lineage.values[name])));
    slice.billingPeriods.forEach((start, i) => (params[`bp${i}`] = param.timestamp(start)));
    const periods = slice.billingPeriods.map((_, i) => `@bp${i}`).join(', ');
    const list = [...staged.columns, ...constants, 'x_pipeline_run_date'].join(', ');
    const values = [
      ...staged.columns.map((c) => this.ofStaged(types.get(c), `S.${c}`)),
      ...constants.map((_, i) => `@l${i}`),
      'DATE(S.ChargePeriodStart)',
    ].join(', ');
    const affected = await this.warehouse.execute(
      `MERGE ${tableRef(dataset, COST_TABLE)} T
       USING (SELECT *, @run_id AS _run_id FROM ${tableRef(dataset, stage)}) S
       ON T.x_run_id = S._run_id
       WHEN NOT MATCHED BY SOURCE
         AND T.x_source_system = @source
         AND (@credential IS NULL OR T.x_credential_id = @credential)
         AND T.ChargePeriodStart >= @from AND T.ChargePeriodStart < @to
         AND T.BillingPeriodStart IN (${periods})
         THEN DELETE
       WHEN NOT MATCHED THEN INSERT (${list}) VALUES (${values})`,
      params,
      // A year of rows is one statement; the per-query default is meant for dashboard reads.
      { timeoutMs: 30 * 60_000 },
    );
    return Math.max(0, affected - staged.rows);
  }

  /** A staged column back to its cost-table type (see createStage). */
  private ofStaged(type: FieldType | undefined, column: string): string {
    if (isNumeric(type)) return numericOfStaged(column);
    if (type !== 'JSON') return column;
    // The import checked the text is JSON. BigQuery's default 'exact' mode fails the whole swap on
    // a number a FLOAT64 cannot hold exactly; DuckDB keeps JSON as its text anyway.
    return this.warehouse.driver === 'bigquery'
      ? `PARSE_JSON(${column}, wide_number_mode => 'round')`
      : `PARSE_JSON(${column})`;
  }

  /** How many rows of the cost table carry this import's run id (its swap applied when any do). */
  async countRun(dataset: string, runId: string): Promise<number> {
    const rows = await this.warehouse.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${tableRef(dataset, COST_TABLE)} WHERE x_run_id = @run_id`,
      { run_id: runId },
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Deletes the org's imported rows of these source systems under this credential id that no import
   * of `keepRuns` wrote and that were written before `ingestedBefore`: what an earlier import of
   * them over another window left (each import replaces its own file's days only), never what an
   * import running beside them wrote since. Rows of other credentials are never touched. One
   * statement, atomic on BigQuery and DuckDB alike. Returns the rows deleted.
   */
  async deleteOtherRuns(dataset: string, org: string, rows: ImportedRowsToDrop): Promise<number> {
    return this.warehouse.execute(
      `DELETE FROM ${tableRef(dataset, COST_TABLE)}
       WHERE x_org_slug = @org AND x_pipeline_id = 'focus_import'
         AND x_credential_id = @credential AND x_source_system IN UNNEST(@sources)
         AND (x_run_id IS NULL OR x_run_id NOT IN UNNEST(@runs))
         AND x_ingested_at < @ingested_before`,
      {
        org,
        credential: rows.credentialId,
        sources: param.stringArray([...rows.sourceSystems]),
        runs: param.stringArray([...rows.keepRuns]),
        ingested_before: param.timestamp(rows.ingestedBefore),
      },
      { timeoutMs: 30 * 60_000 },
    );
  }

  /** Best effort: a staging table that outlives a crash holds no data anyone reads. */
  async dropStage(dataset: string, stage: string): Promise<void> {
    await this.warehouse.dropTable(dataset, stage).catch(() => undefined);
  }
}

/** A lineage value as a parameter of its column's type (typed, so NULLs and dates bind alike). */
function typedParam(type: FieldType | undefined, value: unknown): ParamValue {
  switch (type) {
    case 'TIMESTAMP':
      return param.timestamp(value as Date | null);
    case 'DATE':
      return param.date(value as string | null);
    case 'STRING':
      return param.string(value as string | null);
    default:
      throw new Error(`Lineage column of type ${type ?? 'unknown'} is not supported`);
  }
}

const isNumeric = (type: FieldType | undefined) => type === 'NUMERIC';

/** The stage's type of a cost-table column whose type is not staged as it is (see createStage). */
const STAGED_TYPE: Partial<Record<FieldType, FieldType>> = { NUMERIC: 'FLOAT64', JSON: 'STRING' };

/** Significant digits a staged FLOAT64 gives back exactly: every decimal of at most 15 survives a double. */
const DOUBLE_DIGITS = 15;

/**
 * Below this a staged double casts back to its 9 decimals exactly: the value came rounded to them
 * (`toNumeric`), and the double's own error plus the cast's (DuckDB scales by 1e9 in doubles) stay
 * under half a nano-unit up to 2^21.
 */
const EXACT_CAST_BELOW = 2 ** 21;

/**
 * A staged FLOAT64 back to NUMERIC as the decimal it was read from. Below EXACT_CAST_BELOW, the
 * cast is exact. From there up a double is too coarse for 9 decimals, and the cast would keep its
 * binary error (1000000000.005 became 1000000000.004999936, and its cents 0.00 where the file says
 * 0.005 → 0.01): it is rounded to the 15 significant digits a double holds, decimal rounding
 * (NUMERIC, half away from zero, on BigQuery and DuckDB alike). A file value of more than 15
 * significant digits at that size was never exact in a double; it keeps its first 15.
 */
function numericOfStaged(column: string): string {
  const cast = `CAST(${column} AS NUMERIC)`;
  // Each branch cast to NUMERIC: DuckDB gives a CASE over DECIMALs of several scales the smallest.
  const rounded = (decimals: number) => `CAST(ROUND(${cast}, ${decimals}) AS NUMERIC)`;
  const decades: string[] = [];
  for (let digits = 7; digits < DOUBLE_DIGITS; digits++)
    decades.push(`WHEN ABS(${column}) < ${10 ** digits} THEN ${rounded(DOUBLE_DIGITS - digits)}`);
  return `CASE WHEN ABS(${column}) < ${EXACT_CAST_BELOW} THEN ${cast} ${decades.join(' ')} ELSE ${rounded(0)} END`;
}
