import { aFocusRow, TEST_HIERARCHY } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costByHierarchyEntity, hierarchyRollup, levelCodesFor } from './by-hierarchy.js';

const entity = (id: string) => TEST_HIERARCHY.find((e) => e.id === id)!;

describe('cost by hierarchy entity', () => {
  const frame = costFrameOf([
    aFocusRow({ entity: entity('TEAM-1'), billedCost: 30 }),
    aFocusRow({ entity: entity('TEAM-11'), billedCost: 10 }),
    aFocusRow({ entity: entity('DEPT-10'), billedCost: 60 }),
    aFocusRow({ entity: { ...entity('PROJ-1'), levelCode: 'PROJ' }, billedCost: 5 }),
    aFocusRow({ entity: null, billedCost: 1000 }),
  ]);

  it('gives each allocated entity its own cost, highest first, leaving unallocated rows out', () => {
    expect(costByHierarchyEntity(frame).map((e) => [e.entityId, e.billed / 1e6, e.percentage])).toEqual([
      ['DEPT-10', 60, 57.14],
      ['TEAM-1', 30, 28.57],
      ['TEAM-11', 10, 9.52],
      ['PROJ-1', 5, 4.76],
    ]);
  });

  it('finds seeded level codes by their usual names (the reference only knew DEPT/PROJ/TEAM)', () => {
    expect(levelCodesFor('Department')).toContain('c_suite');
    expect(costByHierarchyEntity(frame, 'team').map((e) => [e.entityId, e.percentage])).toEqual([
      ['TEAM-1', 75],
      ['TEAM-11', 25],
    ]);
    expect(costByHierarchyEntity(frame, 'project').map((e) => e.entityId)).toEqual(['PROJ-1']);
    expect(costByHierarchyEntity(frame, 'c_suite').map((e) => e.entityName)).toEqual(['Sales']);
  });

  it('rolls the three levels up side by side', () => {
    const rollup = hierarchyRollup(frame);
    expect(rollup.byDepartment.map((e) => e.entityId)).toEqual(['DEPT-10']);
    expect(rollup.byTeam).toHaveLength(2);
    expect(rollup.total).toBe(1_105_000_000);
  });
});
