import { generateFocusRows } from '#test/focus-rows';
import pl from 'nodejs-polars';
import { costFrameOf } from '../testing/frame-of.js';
import { costRows, costRowsPage } from './cost-rows.js';
import { RECORDS_SLICE, recordsOf } from './frame-records.js';
import { granularTrend } from './granular.js';
import { turnedDuring } from '#test/event-loop';

// Rows become JavaScript objects a slice at a time, the event loop turning between slices: 10,000
// listed rows (a category listing's page) or the 50,000 groups of a year's granular trend held
// every tenant's requests for a second and more when converted at once.
describe('frame rows as records, a slice at a time', () => {
  it.each([0, 1, 4, 5, 11])('gives the %i rows of toRecords, in order', async (height) => {
    const df = pl.DataFrame({
      n: Array.from({ length: height }, (_, i) => i),
      s: Array.from({ length: height }, (_, i) => (i % 3 ? `row ${i}` : null)),
    });

    expect(await recordsOf(df, 5)).toEqual(df.toRecords());
  });

  it('lets the event loop turn between slices, not within a single one', async () => {
    const df = pl.DataFrame({ n: Array.from({ length: 12 }, (_, i) => i) });

    expect((await turnedDuring(() => recordsOf(df, 5))).turned).toBe(true);
    expect((await turnedDuring(() => recordsOf(df, 12))).turned).toBe(false);
  });

  const many = costFrameOf(
    generateFocusRows({
      org: 'slices',
      rows: RECORDS_SLICE * 2 + 500,
      seed: 5,
      start: '2025-01-01',
      end: '2025-03-31',
    }),
  );

  it('lists a page of more rows than a slice with the event loop turning, the rows unchanged', async () => {
    const { value: page, turned } = await turnedDuring(() => costRowsPage(many, 0, RECORDS_SLICE * 2 + 500));

    expect(turned).toBe(true);
    expect(page.total).toBe(RECORDS_SLICE * 2 + 500);
    expect(page.rows).toEqual(await costRows(many));
    const pages = [];
    for (let offset = 0; offset < page.total; offset += 700)
      pages.push(...(await costRowsPage(many, offset, 700)).rows);
    expect(pages).toEqual(page.rows);
    const days = page.rows.map((r) => r.ChargePeriodStart);
    expect(days).toEqual([...days].sort().reverse());
  });

  it('groups a granular trend of more groups than a slice with the event loop turning', async () => {
    const { value: trend, turned } = await turnedDuring(() => granularTrend(many));

    expect(trend.rows.length).toBeGreaterThan(RECORDS_SLICE);
    expect(turned).toBe(true);
    const keys = trend.rows.map(
      (r) => `${r.date}|${r.provider}|${r.category}|${r.hierarchyPath}|${r.hierarchyEntityId}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
    expect(trend.rows.reduce((n, r) => n + r.recordCount, 0)).toBe(RECORDS_SLICE * 2 + 500);
    const dates = trend.rows.map((r) => r.date);
    expect(dates).toEqual([...dates].sort());
  });
});
