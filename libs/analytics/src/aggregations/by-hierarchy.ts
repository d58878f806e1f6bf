import pl from 'nodejs-polars';
import { C, moneyOf, moneySums, rowsCounted } from '../frame/cost-frame.js';
import { type Micros, percentage } from '../money.js';
import { billedTotal, distinctValues } from './totals.js';

/**
 * Names one hierarchy level goes by. The seeded hierarchy uses c_suite / business_unit /
 * function while older data says DEPT / PROJ / TEAM; asking for "department" finds both.
 */
const LEVEL_ALIASES: readonly (readonly string[])[] = [
  ['department', 'dept', 'c_suite', 'csuite', 'c-suite'],
  ['project', 'proj', 'business_unit', 'businessunit', 'business-unit'],
  ['team', 'function', 'func'],
];

/** Level codes (lower-cased) that `level` stands for. */
export function levelCodesFor(level: string): ReadonlySet<string> {
  const l = level.trim().toLowerCase();
  return new Set(LEVEL_ALIASES.find((group) => group.includes(l)) ?? [l]);
}

export interface EntityCost {
  entityId: string;
  entityName: string;
  levelCode: string | null;
  billed: Micros;
  recordCount: number;
  /** Percent of the billed total of the rows considered (that level's rows when a level is given). */
  percentage: number;
}

/**
 * Billed cost per hierarchy entity a row is allocated to (its own entity: no roll-up to
 * ancestors), highest first; rows without an entity are left out.
 */
export function costByHierarchyEntity(df: pl.DataFrame, level?: string): EntityCost[] {
  let rows = df.filter(pl.col(C.entityId).isNotNull());
  if (level) {
    const wanted = levelCodesFor(level);
    const codes = distinctValues(rows, C.levelCode).filter((code) => wanted.has(code.toLowerCase()));
    rows = codes.length ? rows.filter(pl.col(C.levelCode).isIn(codes)) : rows.head(0);
  }
  const groups = rows
    .groupBy([C.entityId, C.entityName, C.levelCode])
    .agg(...moneySums(df, C.billed, 'billed'), rowsCounted(df).alias('n'))
    .select(
      pl.col(C.entityId).cast(pl.Utf8).alias('entityId'),
      pl.col(C.entityName).cast(pl.Utf8).alias('entityName'),
      pl.col(C.levelCode).cast(pl.Utf8).alias('levelCode'),
      moneyOf(df, C.billed, 'billed'),
      'n',
    )
    .toRecords() as {
    entityId: string;
    entityName: string | null;
    levelCode: string | null;
    billed: number | null;
    n: number;
  }[];
  const total = groups.reduce((sum, g) => sum + Number(g.billed ?? 0), 0);
  return groups
    .map((g) => ({
      entityId: g.entityId,
      entityName: g.entityName ?? g.entityId,
      levelCode: g.levelCode,
      billed: Number(g.billed ?? 0),
      recordCount: Number(g.n),
      percentage: percentage(Number(g.billed ?? 0), total),
    }))
    .sort((a, b) => b.billed - a.billed || (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0));
}

export interface HierarchyRollup {
  byDepartment: EntityCost[];
  byProject: EntityCost[];
  byTeam: EntityCost[];
  total: Micros;
}

/** The three standard levels side by side; each level's percentages are of its own total. */
export function hierarchyRollup(df: pl.DataFrame): HierarchyRollup {
  const total = billedTotal(df);
  return {
    byDepartment: costByHierarchyEntity(df, 'department'),
    byProject: costByHierarchyEntity(df, 'project'),
    byTeam: costByHierarchyEntity(df, 'team'),
    total,
  };
}
