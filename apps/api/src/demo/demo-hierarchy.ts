import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { configsDir } from '#platform';

/** A leaf of the default hierarchy, with the x_hierarchy_* values a cost row allocated to it carries. */
export interface DemoLeaf {
  id: string;
  name: string;
  levelCode: string;
  path: string;
  pathNames: string;
}

interface EntityRow {
  entity_id: string;
  entity_name: string;
  level_code: string;
  parent_id: string;
  path: string;
}

/**
 * The entities of the leaf level (`is_leaf` in hierarchy-levels.csv), from the same seed files
 * onboarding writes, so the demo's costs land on entities the org really has.
 */
export function demoLeaves(dir: string = path.join(configsDir(), 'seeds')): DemoLeaf[] {
  const read = <T>(name: string) =>
    parse<T>(fs.readFileSync(path.join(dir, name), 'utf8'), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
    });
  const leafLevels = new Set(
    read<{ level_code: string; is_leaf: string }>('hierarchy-levels.csv')
      .filter((l) => l.is_leaf === 'true')
      .map((l) => l.level_code),
  );
  const rows = read<EntityRow>('hierarchy-entities.csv');
  const byId = new Map(rows.map((r) => [r.entity_id, r]));
  return rows
    .filter((r) => leafLevels.has(r.level_code))
    .map((r) => {
      const names: string[] = [];
      for (let at: EntityRow | undefined = r; at; at = at.parent_id ? byId.get(at.parent_id) : undefined)
        names.unshift(at.entity_name);
      return {
        id: r.entity_id,
        name: r.entity_name,
        levelCode: r.level_code,
        path: r.path,
        pathNames: names.join(' > '),
      };
    });
}
