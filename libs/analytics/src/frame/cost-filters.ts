import pl from 'nodejs-polars';
import type { IsoDate } from '../calendar/iso-date.js';
import type { CategoryInputs, CostCategory } from './cost-category.js';
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
 * A frame's filters as exact values: the rows a read keeps are those whose columns hold one of
 * these, and the warehouse can select the same rows by them (a listing paged in SQL, see
 * CostsRepository.listRows). An empty list matches no row.
 */
export interface ResolvedCostFilters {
  /** ServiceProviderName values, as spelt in the data. */
  providers?: readonly string[];
  /** ServiceCategory values, as spelt in the data. */
  serviceCategories?: readonly string[];
  /** Each entity asked for: the row is that entity, or its hierarchy path is one of `paths`. */
  entities: readonly { id: string; paths: readonly string[] }[];
  /** x_hierarchy_path values at or below the path asked for. */
  paths?: readonly string[];
  category?: CostCategory;
}

/**
 * The filters of a read resolved against `df`'s own values: names matched in any case become the
 * spellings present, hierarchy rules the paths they hold. Hierarchy rules run in JavaScript over
 * the distinct paths (a few hundred at most); `df` must hold the hierarchy columns when the
 * filters read them (aggregateColumnsFor).
 */
export function resolveCostFilters(df: pl.DataFrame, filters: CostFilters): ResolvedCostFilters {
  const paths = filtersReadHierarchy(filters) ? distinctPaths(df) : [];
  const prefix = filters.hierarchyPath;
  return {
    providers: filters.providers?.length ? anyCaseMatches(df, C.provider, filters.providers) : undefined,
    serviceCategories: filters.serviceCategories?.length
      ? anyCaseMatches(df, C.serviceCategory, filters.serviceCategories)
      : undefined,
    entities: (filters.entityIds ?? []).map((id) => ({
      id,
      paths: paths.filter((p) => pathPassesThrough(p, id)),
    })),
    paths: prefix ? paths.filter((p) => pathIsWithin(p, prefix)) : undefined,
    category: filters.category,
  };
}

/**
 * The rows of `df` that match `filters`, as exact `isIn`s on the dictionary-encoded columns (see
 * resolveCostFilters).
 */
export function applyCostFilters(df: pl.DataFrame, filters: CostFilters): pl.DataFrame {
  return applyResolvedFilters(df, resolveCostFilters(df, filters));
}

/** The rows of `df` that match filters resolved against it (or a frame of the same period). */
export function applyResolvedFilters(df: pl.DataFrame, resolved: ResolvedCostFilters): pl.DataFrame {
  const conditions: pl.Expr[] = [];
  if (resolved.providers) conditions.push(isInOrNone(C.provider, resolved.providers));
  if (resolved.serviceCategories) conditions.push(isInOrNone(C.serviceCategory, resolved.serviceCategories));
  if (resolved.category) conditions.push(pl.col(C.category).eq(pl.lit(resolved.category)));
  for (const { id, paths } of resolved.entities)
    conditions.push(pl.col(C.entityId).eq(pl.lit(id)).fillNull(false).or(isInOrNone(C.path, paths)));
  if (resolved.paths) conditions.push(isInOrNone(C.path, resolved.paths));
  if (!conditions.length) return df;
  return df.filter(conditions.reduce((all, c) => all.and(c)));
}

/**
 * The (provider, service category, source) triples of `df` whose rows are in `category`, as spelt
 * in the data: what decides a row's category (costCategoryOf), so the warehouse can select a
 * category's rows by them without a second copy of its rules.
 */
export function categoryTriples(df: pl.DataFrame, category: CostCategory): CategoryInputs[] {
  const text = (name: string) => pl.col(name).cast(pl.Utf8);
  const triples = df
    .filter(pl.col(C.category).eq(pl.lit(category)))
    .select(text(C.provider), text(C.serviceCategory), text(C.source))
    .unique();
  return (triples.toRecords() as Record<string, string | null>[]).map((t) => ({
    provider: t[C.provider] ?? null,
    serviceCategory: t[C.serviceCategory] ?? null,
    sourceSystem: t[C.source] ?? null,
  }));
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
