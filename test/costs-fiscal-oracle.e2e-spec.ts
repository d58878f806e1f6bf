import { aFocusRow } from '#test/focus-rows';
import { CostCacheOptionsModule, FakeClock, orgWithRows } from '#test/costs-harness';
import { NO_LIMITS } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * The default period of every cost read (the fiscal year to date) and what is summed over it, for
 * fiscal years starting in January, April, October and December, set through the locale endpoint,
 * in orgs of UTC, Los Angeles and Auckland, on the days around each fiscal-year boundary, New Year
 * and the leap day, at instants where the org's day and the UTC day differ.
 * The oracle below is plain Date arithmetic, none of the app's calendar.
 */
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ms = (date: string) => Date.parse(`${date}T00:00:00Z`);
const days = (from: string, to: string) => (from > to ? 0 : (ms(to) - ms(from)) / DAY_MS + 1);
const pad = (n: number) => String(n).padStart(2, '0');
const max = (a: string, b: string) => (a >= b ? a : b);
const min = (a: string, b: string) => (a <= b ? a : b);

/** An AWS row every day, of a whole amount that varies day by day; an OpenAI one on each 15th. */
const FIRST = '2022-12-01';
const LAST = '2025-01-31';
const awsCost = (date: string) => ((ms(date) / DAY_MS) % 89) + 1;
const GENAI_COST = 3;
const ALL_DAYS = Array.from({ length: days(FIRST, LAST) }, (_, i) => iso(ms(FIRST) + i * DAY_MS));
const sumOver = (from: string, to: string, cost: (d: string) => number) =>
  ALL_DAYS.filter((d) => d >= from && d <= to).reduce((s, d) => s + cost(d), 0);
const genaiCost = (d: string) => (d.endsWith('-15') ? GENAI_COST : 0);
const rowsOver = (from: string, to: string) => sumOver(from, to, (d) => 1 + genaiCost(d) / GENAI_COST);

/** The org's calendar date at `at`, as Intl reads the zone. */
const dayIn = (zone: string, at: number) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);

interface Expected {
  start: string;
  end: string;
  total: number;
  rows: number;
  mtd: number;
  daily: number;
  monthly: number;
  genai: { total: number; mtd: number; daily: number; monthly: number; annual: number };
}

/**
 * What a read with no dates answers at `at`: the fiscal year (starting on the 1st of `month`) the
 * org's today is in, up to the latest day costs exist for (the org's today, or the UTC day when it
 * is later); month to date is the org's month within it, and run rates spread it over those days.
 */
function oracle(zone: string, month: number, at: number): Expected {
  const today = dayIn(zone, at);
  const last = max(today, iso(at));
  const [year, current] = today.split('-').map(Number) as [number, number];
  const fy = month === 1 || current >= month ? year : year - 1;
  const start = `${fy}-${pad(month)}-01`;
  // Day 0 of the next fiscal year's first month: the last day of this one.
  const end = min(iso(Date.UTC(fy + 1, month - 1, 0)), last);
  const monthStart = `${today.slice(0, 7)}-01`;
  const monthDays = new Date(Date.UTC(year, current, 0)).getUTCDate();
  const mStart = max(start, monthStart);
  const mEnd = min(min(end, `${today.slice(0, 7)}-${pad(monthDays)}`), last);
  const covered = Math.max(1, days(mStart, mEnd));
  const total = sumOver(start, end, (d) => awsCost(d) + genaiCost(d));
  const mtd = mStart > mEnd ? 0 : sumOver(mStart, mEnd, (d) => awsCost(d) + genaiCost(d));
  const gTotal = sumOver(start, end, genaiCost);
  const gMtd = mStart > mEnd ? 0 : sumOver(mStart, mEnd, genaiCost);
  const span = days(start, end);
  const genai =
    gMtd === 0 && gTotal > 0
      ? { daily: gTotal / span, monthly: (gTotal * 30) / span, annual: (gTotal * 365) / span }
      : {
          daily: gMtd / covered,
          monthly: (gMtd * monthDays) / covered,
          annual: (Math.round(((gMtd * monthDays) / covered) * 100) / 100) * 12,
        };
  return {
    start,
    end,
    total,
    rows: rowsOver(start, end),
    mtd,
    daily: mtd / covered,
    monthly: (mtd * monthDays) / covered,
    genai: { total: gTotal, mtd: gMtd, ...genai },
  };
}

/** Amounts leave the API rounded to cents: within half a cent (and a hair) of the exact figure. */
const cents = (actual: unknown, exact: number) => Math.abs(Number(actual) - exact) <= 0.0051;

/** The parts of the cost responses read here. */
interface CostBody {
  cache_hit: boolean;
  summary: Record<string, unknown>;
  total: Record<string, unknown>;
  pagination: { total: number };
}

const ZONES = ['UTC', 'America/Los_Angeles', 'Pacific/Auckland'] as const;
/**
 * January (the calendar year), April (a fiscal year across two calendar years, begun in spring),
 * October (begun in the calendar year before most of it) and December (the last month, its year
 * all but one month in the next calendar year). February and July passed as well; they are left
 * out for the suite's time (each start month reads ~300 instants, most of them cold).
 */
const MONTHS = [1, 4, 10, 12] as const;

/** The fiscal year's first day in 2024, the days either side of it, New Year and the leap day. */
function clockDays(month: number): string[] {
  const first = `2024-${pad(month)}-01`;
  const around = [iso(ms(first) - DAY_MS), first, iso(ms(first) + DAY_MS)];
  return [...new Set([...around, '2023-12-31', '2024-01-01', '2024-02-29', '2024-03-01'])].sort();
}

/**
 * Instants at which the org's day is `day`: in Los Angeles one of them is already the next UTC
 * day (the evening), in Auckland one is still the UTC day before (just after midnight).
 */
const instantsOf = (zone: string, day: string) =>
  [ms(day) - 12 * 3_600_000, ms(day) + 1_800_000, ms(day) + 12 * 3_600_000, ms(day) + 27 * 3_600_000].filter(
    (at) => dayIn(zone, at) === day,
  );

describe('the fiscal year to date of every start month, time zone and boundary day, against an oracle', () => {
  const clock = new FakeClock(Date.parse('2023-01-01T12:00:00Z'));
  let t: TestApp;
  const orgs = new Map<string, { org: string; headers: Record<string, string> }>();

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS, { imports: [CostCacheOptionsModule.with({ clock })] });
    for (const zone of ZONES) {
      const made = await orgWithRows(t, (org) => [
        ...ALL_DAYS.map((date) => aFocusRow({ org, date, billedCost: awsCost(date) })),
        ...ALL_DAYS.filter((d) => genaiCost(d) > 0).map((date) =>
          aFocusRow({
            org,
            date,
            billedCost: GENAI_COST,
            provider: 'OpenAI',
            serviceCategory: 'genai',
            sourceSystem: null,
          }),
        ),
      ]);
      orgs.set(zone, made);
      await putLocale(zone, { default_timezone: zone });
    }
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  async function putLocale(zone: string, payload: Record<string, unknown>) {
    const { org, headers } = orgs.get(zone)!;
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/organizations/${org}/locale`,
      headers,
      payload,
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  async function get(zone: string, path: string) {
    const { org, headers } = orgs.get(zone)!;
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<CostBody>();
  }

  const summaryAt = async (zone: string, at: number, query = '') => {
    clock.ms = at;
    const res = await get(zone, `/summary${query}`);
    return { cacheHit: res.cache_hit, ...res.summary };
  };
  const figures = (e: Expected) => ({ date_range: { start: e.start, end: e.end }, total_cost: e.total });

  it('a new start month moves the default period at once; a range of the same dates keeps its own figures', async () => {
    const at = Date.parse('2024-03-10T12:00:00Z');
    const april = oracle('UTC', 4, at);
    const custom = `?start_date=${april.start}&end_date=${april.end}`;
    await putLocale('UTC', { fiscal_year_start_month: 4 });
    expect(await summaryAt('UTC', at)).toMatchObject(figures(april));
    // The same dates: the same cached result, and each URL's response kept.
    expect(await summaryAt('UTC', at, custom)).toMatchObject({ cacheHit: true, ...figures(april) });
    expect(await summaryAt('UTC', at)).toMatchObject({ cacheHit: true, ...figures(april) });
    expect(await summaryAt('UTC', at, custom)).toMatchObject({ cacheHit: true, ...figures(april) });

    await putLocale('UTC', { fiscal_year_start_month: 1 });
    const january = oracle('UTC', 1, at);
    expect(january.start).toBe('2024-01-01');
    expect(await summaryAt('UTC', at)).toMatchObject({ cacheHit: false, ...figures(january) });
    expect(await summaryAt('UTC', at, custom)).toMatchObject(figures(april));
    // One date alone is no range: the default period, of the start month now set.
    expect(await summaryAt('UTC', at, `?start_date=${april.start}`)).toMatchObject(figures(january));
    expect(await summaryAt('UTC', at, `?end_date=${april.end}`)).toMatchObject(figures(january));

    await putLocale('UTC', { fiscal_year_start_month: 4 });
    expect(await summaryAt('UTC', at)).toMatchObject(figures(april));
    expect(await summaryAt('UTC', at, `?start_date=${april.start}`)).toMatchObject(figures(april));
  });

  it.each([
    // The org's midnight starting April 1st 2024: NZDT (UTC+13) and PDT (UTC-7).
    ['Pacific/Auckland', Date.parse('2024-03-31T11:00:00Z')],
    ['America/Los_Angeles', Date.parse('2024-04-01T07:00:00Z')],
  ])(
    "in %s, a response kept on the fiscal year's last evening is not sent after its midnight",
    async (zone, midnight) => {
      await putLocale(zone, { fiscal_year_start_month: 4 });
      const before = midnight - 60_000;
      expect([dayIn(zone, before), dayIn(zone, midnight)]).toEqual(['2024-03-31', '2024-04-01']);
      expect(await summaryAt(zone, before)).toMatchObject(figures(oracle(zone, 4, before)));
      expect(await summaryAt(zone, before)).toMatchObject({
        cacheHit: true,
        ...figures(oracle(zone, 4, before)),
      });
      const after = oracle(zone, 4, midnight);
      expect(after.start).toBe('2024-04-01');
      expect(await summaryAt(zone, midnight)).toMatchObject(figures(after));
    },
  );

  it.each(MONTHS.map((month) => [month]))(
    'fiscal years starting in month %i: periods, totals, month to date and run rates',
    async (month) => {
      const wrong: unknown[] = [];
      const otherUtcDay = new Set<string>();
      for (const zone of ZONES) {
        // Each change drops what the org's caches held; the clock then moves forward only.
        await putLocale(zone, { fiscal_year_start_month: month });
        for (const at of clockDays(month).flatMap((day) => instantsOf(zone, day))) {
          clock.ms = at;
          const e = oracle(zone, month, at);
          if (dayIn(zone, at) !== iso(at)) otherUtcDay.add(zone);
          const where = { zone, month, at: new Date(at).toISOString(), today: dayIn(zone, at) };
          const s = (await get(zone, '/summary')).summary;
          const g = (await get(zone, '/genai')).summary;
          const total = (await get(zone, '/total')).total;
          const listed = await get(zone, '?limit=1');
          const checks: Record<string, boolean> = {
            range: JSON.stringify(s.date_range) === JSON.stringify({ start: e.start, end: e.end }),
            total: s.total_cost === e.total && total.total_billed_cost === e.total,
            rows:
              s.record_count === e.rows &&
              total.record_count === e.rows &&
              listed.pagination.total === e.rows,
            mtd: s.mtd_cost === e.mtd && total.mtd_cost === e.mtd,
            rates: cents(s.daily_rate, e.daily) && cents(s.monthly_forecast, e.monthly),
            genaiRange: JSON.stringify(g.date_range) === JSON.stringify({ start: e.start, end: e.end }),
            genaiTotal: g.total_cost === e.genai.total && g.mtd_cost === e.genai.mtd,
            genaiRates:
              cents(g.daily_rate, e.genai.daily) &&
              cents(g.monthly_forecast, e.genai.monthly) &&
              cents(g.annual_forecast, e.genai.annual),
          };
          const failed = Object.keys(checks).filter((k) => !checks[k]);
          if (failed.length) wrong.push({ ...where, failed, expected: e, summary: s, genai: g });
        }
      }
      expect(wrong.slice(0, 3)).toEqual([]);
      // The instants read include some where the org's day is not the UTC day, on either side.
      expect([...otherUtcDay].sort()).toEqual(['America/Los_Angeles', 'Pacific/Auckland']);
    },
    240_000,
  );
});
