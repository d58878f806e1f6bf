import pl from 'nodejs-polars';
import type { IsoDate } from '../calendar/iso-date.js';
import type { CostCategory } from './cost-category.js';
import { C, type CostFrameColumns } from './cost-frame.js';

/** Filters of a cost read; every one given must match (AND). */
export interface CostFilters {
  /** ServiceProviderName, in any case (`aws` is `AWS`). */
  providers?: readonly string[];
  /** ServiceCategory (the FOCUS column), in any case. */
  serviceCategories?: readonly string[];
  /** Hierarchy entities (department, project, team, entity): the row's entity or an ancestor of it. */
  entityIds?: readonly string[];
  /** The row's hierarchy path is this path or below it. */
  hierarchyPath?: string;
  category?: CostCategory;
}

/** `/A/B/` and `/A/B` are the same path; `/` alone means every row that has a path. */
export function normaliseHierarchyPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** True when `path` goes through `entityId` as a whole segment (`/DEPT-1/` never matches `/DEPT-10/`). */
export function pathPassesThrough(path: string | null, entityId: string): boolean {
  return path !== null && path.split('/').includes(entityId);
}

/** True when `path` is `prefix` or below it, on segment boundaries (`/DEPT-1` does not hold `/DEPT-10`). */
export function pathIsWithin(path: string | null, prefix: string): boolean {
  if (path === null) return false;
  const p = normaliseHierarchyPath(prefix);
  if (p === '/') return path.startsWith('/');
  return path === p || path.startsWith(`${p}/`);
}

/** True when the filters read the hierarchy columns (an entity or a path). */
export function filtersReadHierarchy(filters: CostFilters): boolean {
  return Boolean(filters.entityIds?.length || filters.hierarchyPath);
}

/** The narrowest frame an aggregation over rows matching `filters` can run on. */
export function aggregateColumnsFor(filters: CostFilters): CostFrameColumns {
  return filtersReadHierarchy(filters) ? 'hierarchy' : 'costs';
}

function distinctPaths(df: pl.DataFrame): string[] {
  return (
    df.select(pl.col(C.path).cast(pl.Utf8).unique()).getColumn(C.path).toArray() as (string | null)[]
  ).filter((p): p is string => p !== null);
}

function isInOrNone(column: string, values: readonly string[]): pl.Expr {
  return values.length ? pl.col(column).isIn([...values]) : pl.lit(false);
}

/**
 * The values of a text column that equal one of `wanted` but for case: names a caller types
 * (`aws`, `openai`) against the spelling the data has (`AWS`, `OpenAI`). Read over the column's
 * distinct values (a few dozen), then an exact `isIn` on the dictionary-encoded column.
 */
function anyCaseMatches(df: pl.DataFrame, column: string, wanted: readonly string[]): string[] {
  const lower = new Set(wanted.map((w) => w.toLowerCase()));
  const present = df.select(pl.col(column).cast(pl.Utf8).unique()).getColumn(column).toArray() as (
    string | null
  )[];
  return present.filter((v): v is string => v !== null && lower.has(v.toLowerCase()));
}

/**
 * The rows of `df` that match `filters`. Hierarchy rules run in JavaScript over the distinct
 * paths (a few hundred at most) and become an `isIn` on the dictionary-encoded column.
 */
export function applyCostFilters(df: pl.DataFrame, filters: CostFilters): pl.DataFrame {
  const conditions: pl.Expr[] = [];
  if (filters.providers?.length)
    conditions.push(isInOrNone(C.provider, anyCaseMatches(df, C.provider, filters.providers)));
  if (filters.serviceCategories?.length)
    conditions.push(
      isInOrNone(C.serviceCategory, anyCaseMatches(df, C.serviceCategory, filters.serviceCategories)),
    );
  if (filters.category) conditions.push(pl.col(C.category).eq(pl.lit(filters.category)));
  const paths = filtersReadHierarchy(filters) ? distinctPaths(df) : [];
  for (const id of filters.entityIds ?? []) {
    const through = paths.filter((p) => pathPassesThrough(p, id));
    conditions.push(pl.col(C.entityId).eq(pl.lit(id)).fillNull(false).or(isInOrNone(C.path, through)));
  }
  if (filters.hierarchyPath) {
    const prefix = filters.hierarchyPath;
    conditions.push(
      isInOrNone(
        C.path,
        paths.filter((p) => pathIsWithin(p, prefix)),
      ),
    );
  }
  if (!conditions.length) return df;
  return df.filter(conditions.reduce((all, c) => all.and(c)));
}

function dateLiteral(date: IsoDate): pl.Expr {
  return pl.lit(new Date(`${date}T00:00:00Z`)).cast(pl.Date);
}

/** Rows whose charge day lies in [start, end]. */
export function filterDates(df: pl.DataFrame, start: IsoDate, end: IsoDate): pl.DataFrame {
  return df.filter(
    pl
      .col(C.date)
      .gtEq(dateLiteral(start))
      .and(pl.col(C.date).ltEq(dateLiteral(end))),
  );
}

/**
 * A stable text form of the filters, for cache keys (order of list items does not matter, nor the
 * case of names matched in any case).
 */
export function costFiltersKey(filters: CostFilters): string {
  const list = (values: readonly string[] | undefined) => [...new Set(values ?? [])].sort();
  const anyCase = (values: readonly string[] | undefined) => list(values?.map((v) => v.toLowerCase()));
  return JSON.stringify([
    anyCase(filters.providers),
    anyCase(filters.serviceCategories),
    list(filters.entityIds),
    filters.hierarchyPath ? normaliseHierarchyPath(filters.hierarchyPath) : '',
    filters.category ?? '',
  ]);
}
