import pl from 'nodejs-polars';
import type { CostCategory } from '../frame/cost-category.js';
import { C, moneyOf, moneySums, rowsCounted } from '../frame/cost-frame.js';
import type { Micros } from '../money.js';
import { recordsOf } from './frame-records.js';
import { distinctValuesOff } from './totals.js';

/** One row per day, provider, hierarchy entity and category: what the dashboard filters client-side. */
export interface GranularRow {
  date: string;
  provider: string;
  category: CostCategory;
  billed: Micros;
  recordCount: number;
  hierarchyEntityId: string | null;
  hierarchyEntityName: string | null;
  hierarchyLevelCode: string | null;
  hierarchyPath: string | null;
  hierarchyPathNames: string | null;
}

export interface HierarchyEntityRef {
  id: string;
  name: string;
  levelCode: string | null;
  path: string | null;
}

export interface GranularTrend {
  rows: GranularRow[];
  providers: string[];
  categories: CostCategory[];
  /** Every entity that carries cost, of any level, ordered by path. */
  entities: HierarchyEntityRef[];
}

const text = (name: string, alias: string) => pl.col(name).cast(pl.Utf8).alias(alias);

/**
 * The granular trend: grouped by the keys it emits only, so no two rows share (date, provider,
 * entity, category). Oldest day first, then provider, category and path. Grouped on the stored
 * (encoded) columns and formatted afterwards: the groups are far fewer than the rows.
 */
export async function granularTrend(df: pl.DataFrame): Promise<GranularTrend> {
  // Lazy, collected in Polars' thread pool: run in place, the group-by of a cold period's frame
  // held the event loop, every tenant's requests, 0.2 s for 250,000 rows, 0.8 s for a million.
  const grouped = await df
    .lazy()
    .groupBy([C.date, C.provider, C.category, C.entityId, C.entityName, C.levelCode, C.path, C.pathNames])
    .agg(...moneySums(df, C.billed, 'billed'), rowsCounted(df).alias('recordCount'))
    .select(
      pl.col(C.date).dt.strftime('%Y-%m-%d').alias('date'),
      pl.col(C.provider).cast(pl.Utf8).fillNull('Unknown').alias('provider'),
      text(C.category, 'category'),
      text(C.entityId, 'hierarchyEntityId'),
      text(C.entityName, 'hierarchyEntityName'),
      text(C.levelCode, 'hierarchyLevelCode'),
      text(C.path, 'hierarchyPath'),
      text(C.pathNames, 'hierarchyPathNames'),
      moneyOf(df, C.billed, 'billed'),
      'recordCount',
    )
    .sort(['date', 'provider', 'category', 'hierarchyPath', 'hierarchyEntityId'], false, true)
    .collect();
  const rows = (await recordsOf<GranularRow>(grouped)).map((r) => ({
    ...r,
    billed: Number(r.billed ?? 0),
    recordCount: Number(r.recordCount),
  }));
  const entities = (
    await df
      .lazy()
      .filter(pl.col(C.entityId).isNotNull())
      .select(
        text(C.entityId, 'id'),
        text(C.entityName, 'name'),
        text(C.levelCode, 'levelCode'),
        text(C.path, 'path'),
      )
      .unique()
      .sort(['path', 'id'], false, true)
      .collect()
  ).toRecords() as unknown as {
    id: string;
    name: string | null;
    levelCode: string | null;
    path: string | null;
  }[];
  return {
    rows,
    providers: await distinctValuesOff(df, C.provider),
    categories: (await distinctValuesOff(df, C.category)) as CostCategory[],
    entities: entities.map((e) => ({ ...e, name: e.name ?? e.id })),
  };
}
