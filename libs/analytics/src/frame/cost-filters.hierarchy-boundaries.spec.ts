import { aFocusRow, TEST_HIERARCHY } from '#test/focus-rows';
import { costTotals } from '../aggregations/totals.js';
import { costFrameOf } from '../testing/frame-of.js';
import { applyCostFilters, costFiltersKey, pathIsWithin, pathPassesThrough } from './cost-filters.js';

const entity = (id: string) => TEST_HIERARCHY.find((e) => e.id === id)!;

/** One row per entity of the test hierarchy, each costing a distinct power of two, plus an unallocated one. */
const frame = costFrameOf([
  ...TEST_HIERARCHY.map((e, i) => aFocusRow({ entity: e, billedCost: 2 ** i })),
  aFocusRow({ entity: null, billedCost: 1000 }),
]);
const billedOf = (filters: Parameters<typeof applyCostFilters>[1]) =>
  costTotals(applyCostFilters(frame, filters)).billed / 1e6;

describe('hierarchy filters match on path-segment boundaries', () => {
  it('matches an entity and everything below it, never an id that merely starts the same', () => {
    expect(pathPassesThrough('/DEPT-10/PROJ-10', 'DEPT-1')).toBe(false);
    expect(pathPassesThrough('/DEPT-1/PROJ-11', 'DEPT-1')).toBe(true);
    // DEPT-1 (1) + PROJ-1 (4) + PROJ-11 (8) + TEAM-1 (32) + TEAM-11 (64)
    expect(billedOf({ entityIds: ['DEPT-1'] })).toBe(109);
    // DEPT-10 (2) + PROJ-10 (16) + TEAM-10 (128)
    expect(billedOf({ entityIds: ['DEPT-10'] })).toBe(146);
    expect(billedOf({ entityIds: ['PROJ-1'] })).toBe(36);
  });

  it('matches a path prefix on whole segments (the reference matched /DEPT-1 inside /DEPT-10)', () => {
    expect(pathIsWithin('/DEPT-10', '/DEPT-1')).toBe(false);
    expect(pathIsWithin('/DEPT-1', '/DEPT-1/')).toBe(true);
    expect(billedOf({ hierarchyPath: '/DEPT-1' })).toBe(109);
    expect(billedOf({ hierarchyPath: '/DEPT-1/PROJ-1/' })).toBe(36);
    expect(billedOf({ hierarchyPath: '/' })).toBe(255);
  });

  it('ANDs the department, project and team filters', () => {
    expect(billedOf({ entityIds: ['DEPT-1', 'PROJ-11'] })).toBe(72);
    expect(billedOf({ entityIds: ['DEPT-10', 'PROJ-11'] })).toBe(0);
  });

  it('matches a row by its own entity even when its path is missing', () => {
    const lone = costFrameOf([aFocusRow({ entity: { ...entity('TEAM-1'), path: '' }, billedCost: 5 })]);
    expect(costTotals(applyCostFilters(lone, { entityIds: ['TEAM-1'] })).billed).toBe(5_000_000);
  });

  it('filters providers and service categories by name in any case, whole names only', () => {
    const f = costFrameOf([
      aFocusRow({ provider: 'AWS', serviceCategory: 'Compute', billedCost: 1 }),
      aFocusRow({ provider: 'aws', serviceCategory: 'Storage', billedCost: 2 }),
      aFocusRow({ provider: 'Microsoft Azure', serviceCategory: 'Compute', billedCost: 4 }),
    ]);
    const sum = (filters: Parameters<typeof applyCostFilters>[1]) =>
      costTotals(applyCostFilters(f, filters)).billed / 1e6;
    // `AWS` and `aws` are one provider written two ways: both are AWS's rows.
    expect(sum({ providers: ['AWS'] })).toBe(3);
    expect(sum({ providers: ['aws'] })).toBe(3);
    expect(sum({ providers: ['AWS', 'microsoft azure'], serviceCategories: ['compute'] })).toBe(5);
    expect(sum({ providers: ['GCP'] })).toBe(0);
    expect(sum({ providers: ['Microsoft'] })).toBe(0);
    expect(sum({ category: 'cloud' })).toBe(7);
  });

  it('keys filters independently of list order and trailing slashes', () => {
    expect(costFiltersKey({ providers: ['b', 'a'], hierarchyPath: '/X/' })).toBe(
      costFiltersKey({ providers: ['a', 'b'], hierarchyPath: '/X' }),
    );
    expect(costFiltersKey({ providers: ['a'] })).not.toBe(costFiltersKey({ serviceCategories: ['a'] }));
  });
});
