import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { SchemaRegistry } from './schema-registry.js';

const CONFIGS = fileURLToPath(new URL('../../../../configs', import.meta.url));

type CsvRow = Record<string, string>;

function readCsv(file: string): { header: string[]; rows: CsvRow[] } {
  const text = fs.readFileSync(`${CONFIGS}/seeds/${file}`, 'utf8');
  const [header] = parse(text, { to_line: 1 });
  const rows = parse<CsvRow>(text, { columns: true, skip_empty_lines: true });
  return { header, rows };
}

describe('default hierarchy seeds', () => {
  const registry = SchemaRegistry.load(`${CONFIGS}/warehouse`);
  const levels = readCsv('hierarchy-levels.csv');
  const entities = readCsv('hierarchy-entities.csv');
  const levelByNumber = new Map(levels.rows.map((l) => [l.level, l]));
  const entityById = new Map(entities.rows.map((e) => [e.entity_id, e]));

  it('uses only columns of org_hierarchy_levels and org_hierarchy', () => {
    const columns = (table: string) => registry.centralTable(table).fields.map((f) => f.name);
    expect(levels.header.filter((c) => !columns('org_hierarchy_levels').includes(c))).toEqual([]);
    expect(entities.header.filter((c) => !columns('org_hierarchy').includes(c))).toEqual([]);
  });

  it('defines the three default levels C-Suite → Business Unit → Function', () => {
    expect(levels.rows.map((l) => [l.level, l.level_code, l.parent_level, l.is_leaf, l.id_prefix])).toEqual([
      ['1', 'c_suite', '', 'false', 'DEPT-'],
      ['2', 'business_unit', '1', 'false', 'PROJ-'],
      ['3', 'function', '2', 'true', 'TEAM-'],
    ]);
    expect(levels.rows.map((l) => l.level_name_plural)).toEqual(['C-Suite', 'Business Units', 'Functions']);
  });

  it('seeds 20 entities: 4 c_suite, 7 business_unit, 9 function', () => {
    const byLevel: Record<string, number> = {};
    for (const e of entities.rows) byLevel[e.level_code] = (byLevel[e.level_code] ?? 0) + 1;
    expect(byLevel).toEqual({ c_suite: 4, business_unit: 7, function: 9 });
    expect(entityById.size).toBe(20);
  });

  it('gives every non-root entity a parent that exists one level up', () => {
    for (const e of entities.rows) {
      const level = levelByNumber.get(e.level);
      expect(level?.level_code, e.entity_id).toBe(e.level_code);
      if (level?.parent_level === '') {
        expect(e.parent_id, e.entity_id).toBe('');
        continue;
      }
      const parent = entityById.get(e.parent_id);
      expect(parent, `${e.entity_id} → ${e.parent_id}`).toBeDefined();
      expect(parent?.level, e.entity_id).toBe(level?.parent_level);
    }
  });

  it('stores each path as the parent path plus the entity id', () => {
    for (const e of entities.rows) {
      const parentPath = e.parent_id ? (entityById.get(e.parent_id)?.path ?? '?') : '';
      expect(e.path).toBe(`${parentPath}/${e.entity_id}`);
      expect(e.path).toMatch(/^(\/[A-Za-z0-9_-]{1,50})+$/);
    }
    expect(entityById.get('TEAM-DATA')?.path).toBe('/DEPT-CIO/PROJ-CTO/TEAM-DATA');
  });

  it('starts every entity id with its level prefix and carries role metadata', () => {
    for (const e of entities.rows) {
      expect(e.entity_id.startsWith(levelByNumber.get(e.level)?.id_prefix ?? '?'), e.entity_id).toBe(true);
      expect(Object.keys(JSON.parse(e.metadata))).toEqual(['role', 'finops_focus']);
      expect(e.owner_email).toMatch(/^[a-z0-9]+@acmeinc\.com$/);
    }
  });
});
