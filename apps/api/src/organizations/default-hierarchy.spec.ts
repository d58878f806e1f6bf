import { entityRows, levelRows, loadDefaultHierarchy } from './default-hierarchy.js';

describe('default hierarchy rows', () => {
  const seed = loadDefaultHierarchy();
  const now = new Date('2026-01-15T10:00:00Z');

  it('builds the three levels with typed columns, created by system', () => {
    const rows = levelRows(seed, 'acme', now);
    expect(rows.map((r) => [r.level, r.level_code, r.parent_level, r.is_leaf, r.display_order])).toEqual([
      [1, 'c_suite', null, false, 1],
      [2, 'business_unit', 1, false, 2],
      [3, 'function', 2, true, 3],
    ]);
    expect(rows.every((r) => r.org_slug === 'acme' && r.created_by === 'system' && r.is_active)).toBe(true);
  });

  it('computes path, path_ids, path_names and depth from the parent chain', () => {
    const rows = entityRows(seed, 'acme', now);
    const data = rows.find((r) => r.entity_id === 'TEAM-DATA');
    expect(data).toMatchObject({
      path: '/DEPT-CIO/PROJ-CTO/TEAM-DATA',
      path_ids: ['DEPT-CIO', 'PROJ-CTO', 'TEAM-DATA'],
      path_names: ['Group CIO', 'Engineering', 'Data'],
      depth: 2,
      parent_id: 'PROJ-CTO',
      version: 1,
      end_date: null,
      metadata: { role: 'team', finops_focus: 'data_costs' },
    });
    const cfo = rows.find((r) => r.entity_id === 'DEPT-CFO');
    expect(cfo).toMatchObject({ path: '/DEPT-CFO', depth: 0, parent_id: null });
    expect(rows).toHaveLength(20);
  });

  it('refuses a seed whose parents form a cycle', () => {
    const cyclic = {
      levels: seed.levels,
      entities: [
        { ...seed.entities[0], entity_id: 'A', parent_id: 'B' },
        { ...seed.entities[0], entity_id: 'B', parent_id: 'A' },
      ],
    };
    expect(() => entityRows(cyclic, 'acme', now)).toThrow(/cycle/);
  });
});
