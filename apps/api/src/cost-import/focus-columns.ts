import type { FieldSchema, FieldType, TableSchema } from '#warehouse';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

/** The FOCUS 1.3 table every import writes to. */
export const COST_TABLE = 'cost_data_standard_1_3';

/**
 * FOCUS 1.0–1.2 names whose FOCUS 1.3 successor the value is also written under. The old column
 * is kept as well, because the table still has it ("deprecated, kept for compatibility").
 */
export const FOCUS_1_2_RENAMES: Readonly<Record<string, string>> = {
  ProviderName: 'ServiceProviderName',
  PublisherName: 'HostProviderName',
};

/**
 * Lineage the import writes itself: a value for these in the file is ignored, because it would
 * describe another pipeline's run and break the replace-by-source rule.
 */
export const STAMPED_COLUMNS: ReadonlySet<string> = new Set([
  'x_source_system',
  'x_pipeline_id',
  'x_run_id',
  'x_credential_id',
  'x_ingested_at',
  'x_ingestion_date',
  'x_pipeline_run_date',
  'x_created_at',
  'x_updated_at',
  'x_org_slug',
  'x_org_name',
  'x_org_owner_email',
  'x_org_default_currency',
  'x_org_default_timezone',
  'x_org_default_country',
  'x_org_subscription_plan',
  'x_org_subscription_status',
]);

/**
 * The FOCUS columns the import reads as money: each is bounded per row (see MAX_ROW_COST), because
 * cost reads sum them in 64-bit micro-units.
 */
export const COST_COLUMNS: ReadonlySet<string> = new Set([
  'BilledCost',
  'ContractedCost',
  'EffectiveCost',
  'ListCost',
]);

export type FocusVersion = '1.3' | '1.2';

/** A table column fed from one column of the file. */
export interface FedColumn {
  name: string;
  type: FieldType;
  required: boolean;
  /** Position of the file column it is read from. */
  source: number;
}

export interface ColumnMapping {
  from: string;
  to: string;
}

export interface ColumnPlan {
  focusVersion: FocusVersion;
  /** Number of columns in the file's header (a CSV row of another width is rejected). */
  width: number;
  fed: FedColumn[];
  mappings: ColumnMapping[];
  /** File columns that are not written: unknown to the table (provider x_ extras) or stamped. */
  ignored: string[];
  /** Mandatory FOCUS columns the file lacks (after mapping FOCUS 1.2 names). */
  missing: string[];
}

/** Columns the file must carry: REQUIRED in the table and not written by the import itself. */
export function mandatoryColumns(schema: TableSchema): string[] {
  return schema.fields
    .filter((f) => f.mode === 'REQUIRED' && !STAMPED_COLUMNS.has(f.name))
    .map((f) => f.name);
}

/** A file column's name as it is matched: without a byte order mark or surrounding spaces. */
function matchedName(raw: string): string {
  return raw.replace(/^\uFEFF/, '').trim();
}

/**
 * Refuses a header in which two columns have the same name, exactly or but for case: both would
 * feed the same table column (names match case-insensitively), and reading either one would be a
 * guess at which the export meant. A FOCUS 1.2 name and its 1.3 successor are not duplicates: each
 * is a column of the table (see FOCUS_1_2_RENAMES).
 */
export function checkDistinctColumns(header: readonly string[]): void {
  const byKey = new Map<string, string[]>();
  for (const raw of header) {
    const name = matchedName(raw);
    // A blank name (a trailing comma in a CSV header) names no column: it is ignored, not matched.
    if (name === '') continue;
    byKey.set(name.toLowerCase(), [...(byKey.get(name.toLowerCase()) ?? []), name]);
  }
  const duplicates = [...byKey.values()].filter((names) => names.length > 1);
  if (duplicates.length === 0) return;
  const listed = duplicates.map((names) => names.map((n) => JSON.stringify(n)).join(' and ')).join('; ');
  throw new CostImportError(
    CostImportErrorCode.DuplicateColumns,
    `Columns of the file name the same column: ${listed}. Keep one of each (column names are ` +
      'matched case-insensitively).',
    { extra: { duplicate_columns: duplicates } },
  );
}

/**
 * Matches a file header to the table: exact names first, then case-insensitive (some exports
 * lower-case headers), then FOCUS 1.2 names to their 1.3 successors when the file lacks those.
 * A header with two columns of the same name is refused (see checkDistinctColumns).
 */
export function planColumns(header: readonly string[], schema: TableSchema): ColumnPlan {
  checkDistinctColumns(header);
  const fields = new Map<string, FieldSchema>(schema.fields.map((f) => [f.name, f]));
  const byLower = new Map<string, FieldSchema>(schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const fed = new Map<string, FedColumn>();
  const ignored: string[] = [];

  header.forEach((raw, source) => {
    const name = matchedName(raw);
    const field = fields.get(name) ?? byLower.get(name.toLowerCase());
    if (!field || STAMPED_COLUMNS.has(field.name) || fed.has(field.name)) {
      ignored.push(name);
      return;
    }
    fed.set(field.name, feed(field, source));
  });

  const mappings: ColumnMapping[] = [];
  for (const [old, successor] of Object.entries(FOCUS_1_2_RENAMES)) {
    const from = fed.get(old);
    const field = fields.get(successor);
    if (!from || !field || fed.has(successor)) continue;
    fed.set(successor, feed(field, from.source));
    mappings.push({ from: old, to: successor });
  }

  const isFocus13 = header.some((h) => /^(ServiceProviderName|HostProviderName)$/i.test(h.trim()));
  return {
    focusVersion: isFocus13 ? '1.3' : '1.2',
    width: header.length,
    fed: [...fed.values()],
    mappings,
    ignored,
    missing: mandatoryColumns(schema).filter((name) => !fed.has(name)),
  };
}

function feed(field: FieldSchema, source: number): FedColumn {
  return { name: field.name, type: field.type, required: field.mode === 'REQUIRED', source };
}
