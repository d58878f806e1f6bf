import { generateFocusRows } from '#test/focus-rows';
import { inUtc } from '../testing/cost-days-of.js';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { costByCategory } from './by-category.js';
import { costByDate } from './by-date.js';
import { costByHierarchyEntity, hierarchyRollup } from './by-hierarchy.js';
import { costByService } from './by-service.js';
import { costByProvider, costByServiceCategory } from './cost-shares.js';
import { costSummary, totalByCategory } from './cost-summary.js';
import { granularTrend } from './granular.js';
import { costTotals } from './totals.js';

// The aggregation reads load their period summed in the warehouse (by day and every other column
// of their set, with each group's row count): every aggregation must answer from such a frame
// exactly what it answers from the FOCUS rows themselves, record counts included.

const rows = generateFocusRows({
  org: 'grouped_org',
  rows: 3_000,
  seed: 7,
  start: '2025-01-01',
  end: '2025-03-31',
});
const period = { start: '2025-01-01', end: '2025-03-31' };
const days = inUtc('2025-03-20');
const focusRows = costFrameOf(rows);
/**
 * Services, with usage quantities to 12 significant digits: they are Float64 sums (FOCUS
 * quantities are decimals), which add up in another order from groups, and so may differ in the
 * last bits. Money is summed in integers, exactly, and compared as is.
 */
const services = (df: typeof focusRows) =>
  costByService(df).map((s) => ({
    ...s,
    usageQuantity: s.usageQuantity && Number(s.usageQuantity.toPrecision(12)),
  }));

describe.each(['costs', 'hierarchy'] as const)('aggregations of the %s set from grouped rows', (set) => {
  const grouped = groupedCostFrameOf(rows, set);

  it('holds fewer rows than the FOCUS rows, standing for all of them', () => {
    expect(grouped.height).toBeLessThan(focusRows.height);
    expect(costTotals(grouped)).toEqual(costTotals(focusRows));
    expect(costTotals(grouped).recordCount).toBe(3_000);
  });

  it.each([
    ['summary', (df) => costSummary(df, period, days)],
    ['total by category', (df) => totalByCategory(df, period, days)],
    ['categories', costByCategory],
    ['providers', costByProvider],
    ['service categories', costByServiceCategory],
    ['services', (df) => services(df)],
    ['days', (df) => costByDate(df, 'daily')],
    ['weeks', (df) => costByDate(df, 'weekly')],
    ['months', (df) => costByDate(df, 'monthly')],
  ] as const satisfies readonly (readonly [string, (df: typeof grouped) => unknown])[])(
    'answers %s as from the FOCUS rows',
    (_name, aggregate) => {
      expect(aggregate(grouped)).toEqual(aggregate(focusRows));
    },
  );

  it.runIf(set === 'hierarchy')(
    'answers the hierarchy reads and the granular trend as from the FOCUS rows',
    async () => {
      expect(costByHierarchyEntity(grouped)).toEqual(costByHierarchyEntity(focusRows));
      expect(costByHierarchyEntity(grouped, 'department')).toEqual(
        costByHierarchyEntity(focusRows, 'department'),
      );
      expect(hierarchyRollup(grouped)).toEqual(hierarchyRollup(focusRows));
      const sorted = (t: Awaited<ReturnType<typeof granularTrend>>) =>
        JSON.stringify(t, Object.keys(t).sort());
      expect(sorted(await granularTrend(grouped))).toEqual(sorted(await granularTrend(focusRows)));
    },
  );
});
