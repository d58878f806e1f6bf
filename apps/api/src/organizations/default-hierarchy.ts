import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { configsDir } from '#platform';
import type { Row } from '#warehouse';

type CsvRow = Record<string, string>;

export interface DefaultHierarchy {
  levels: CsvRow[];
  entities: CsvRow[];
}

const SEED_CREATOR = 'system';

function readCsv(file: string): CsvRow[] {
  return parse<CsvRow>(fs.readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
}

/** Reads configs/seeds/hierarchy-levels.csv and hierarchy-entities.csv. */
export function loadDefaultHierarchy(dir: string = path.join(configsDir(), 'seeds')): DefaultHierarchy {
  return {
    levels: readCsv(path.join(dir, 'hierarchy-levels.csv')),
    entities: readCsv(path.join(dir, 'hierarchy-entities.csv')),
  };
}

const int = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const bool = (v: string | undefined): boolean => v === 'true';
const text = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** Rows for `org_hierarchy_levels`, one per CSV line. */
export function levelRows(seed: DefaultHierarchy, org: string, now: Date): Row[] {
  return seed.levels.map((l) => ({
    id: randomUUID(),
    org_slug: org,
    level: int(l.level),
    level_code: l.level_code,
    level_name: l.level_name,
    level_name_plural: l.level_name_plural,
    parent_level: int(l.parent_level),
    is_required: bool(l.is_required),
    is_leaf: bool(l.is_leaf),
    max_children: int(l.max_children),
    id_prefix: text(l.id_prefix),
    id_auto_generate: bool(l.id_auto_generate),
    metadata_schema: null,
    display_order: int(l.display_order) ?? int(l.level),
    icon: text(l.icon),
    color: text(l.color),
    is_active: true,
    created_at: now,
    created_by: SEED_CREATOR,
  }));
}

/**
 * The chain of ancestors from the root down to `id`. A cycle or a missing parent in the seed file
 * would otherwise loop or produce a path that points nowhere, so both stop the seeding.
 */
function ancestry(id: string, byId: ReadonlyMap<string, CsvRow>): CsvRow[] {
  const chain: CsvRow[] = [];
  const seen = new Set<string>();
  let current = byId.get(id);
  while (current) {
    if (seen.has(current.entity_id)) throw new Error(`hierarchy seed has a cycle at ${current.entity_id}`);
    seen.add(current.entity_id);
    chain.unshift(current);
    if (!current.parent_id) return chain;
    const parent = byId.get(current.parent_id);
    if (!parent)
      throw new Error(`hierarchy seed: ${current.entity_id} has unknown parent ${current.parent_id}`);
    current = parent;
  }
  throw new Error(`hierarchy seed: unknown entity ${id}`);
}

/** Rows for `org_hierarchy`: version 1 of every seeded entity, with its computed path. */
export function entityRows(seed: DefaultHierarchy, org: string, now: Date): Row[] {
  const byId = new Map(seed.entities.map((e) => [e.entity_id, e]));
  return seed.entities.map((e) => {
    const chain = ancestry(e.entity_id, byId);
    const pathIds = chain.map((c) => c.entity_id);
    return {
      id: randomUUID(),
      org_slug: org,
      entity_id: e.entity_id,
      entity_name: e.entity_name,
      level: int(e.level),
      level_code: e.level_code,
      parent_id: text(e.parent_id),
      path: `/${pathIds.join('/')}`,
      path_ids: pathIds,
      path_names: chain.map((c) => c.entity_name),
      depth: pathIds.length - 1,
      owner_id: null,
      owner_name: text(e.owner_name),
      owner_email: text(e.owner_email),
      description: text(e.description),
      metadata: e.metadata ? (JSON.parse(e.metadata) as unknown) : null,
      sort_order: int(e.sort_order),
      is_active: true,
      created_at: now,
      created_by: SEED_CREATOR,
      version: 1,
      end_date: null,
    };
  });
}
