import type { LightMyRequestResponse } from 'fastify';
import { orgWithRows } from '#test/costs-harness';
import { cpuMsOf, longestStallDuring } from '#test/event-loop';
import { generateFocusRows } from '#test/focus-rows';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { type CostReadInput, CostsService } from '../apps/api/src/costs/costs.service.js';

type Headers = Record<string, string>;

const START = '2024-01-01';
const END = '2025-03-10';
const RANGE = `start_date=${START}&end_date=${END}`;
/** What the controller makes of RANGE without filters. */
const INPUT: CostReadInput = {
  startDate: START,
  endDate: END,
  filters: { providers: undefined, serviceCategories: undefined, entityIds: [], hierarchyPath: undefined },
};
/** The most rows a listing answers (and the category listings' default page). */
const LISTED = 10_000;
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';
/** The headers of a cost response, as Fastify answered them when it serialized the body itself. */
const HEADERS = [
  'cache-control',
  'connection',
  'content-length',
  'content-security-policy',
  'content-type',
  'cross-origin-resource-policy',
  'date',
  'permissions-policy',
  'referrer-policy',
  'vary',
  'x-api-version',
  'x-content-type-options',
  'x-frame-options',
  'x-process-time',
  'x-ratelimit-limit-reads',
  'x-ratelimit-remaining-reads',
  'x-ratelimit-reset-reads',
  'x-request-id',
  'x-xss-protection',
];

/** A response read chunk by chunk, as a client reads it, and the longest the event loop went without a turn. */
async function streamed(t: TestApp, url: string, headers: Headers) {
  const { value, longestMs } = await longestStallDuring(async () => {
    const res = await t.app.inject({ method: 'GET', url, headers, payloadAsStream: true });
    const chunks: Buffer[] = [];
    for await (const chunk of res.stream()) chunks.push(chunk as Buffer);
    return { res, chunks };
  });
  return { status: value.res.statusCode, body: Buffer.concat(value.chunks).toString(), longestMs };
}

/**
 * The text Fastify's JSON.stringify wrote of the handler's `answer` (the service's, asked again
 * with the result cached), with the response's own cache_hit and query_time_ms.
 */
function serialized(answer: object, res: LightMyRequestResponse): string {
  const { cache_hit, query_time_ms } = res.json<{ cache_hit: boolean; query_time_ms: number }>();
  return JSON.stringify({ ...answer, cache_hit, query_time_ms });
}

function expectJsonOf(res: LightMyRequestResponse, text: string, moreHeaders: string[] = []) {
  expect(res.statusCode).toBe(200);
  expect(res.body).toBe(text);
  expect(res.headers['content-type']).toBe(JSON_TYPE);
  expect(res.headers['content-length']).toBe(String(Buffer.byteLength(text)));
  expect(Object.keys(res.headers).sort()).toEqual([...HEADERS, ...moreHeaders].sort());
}

// A listing of 10,000 rows is 8.5 MB of JSON: Fastify wrote it in one JSON.stringify, then measured
// and encoded the text, holding every tenant's requests 100-250 ms; the response cache wrote it
// again, a slice at a time, for its own copy.
describe('large cost responses through the real app', () => {
  let t: TestApp;
  let org: string;
  let headers: Headers;
  let costs: CostsService;
  const get = (path: string, h: Headers = headers) =>
    t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers: h });

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' });
    costs = t.app.get(CostsService);
    // A demo-like period: more rows than a listing answers, of every category and provider.
    ({ org, headers } = await orgWithRows(t, (o) =>
      generateFocusRows({ org: o, rows: LISTED + 2_000, seed: 3, start: START, end: END }),
    ));
  }, 180_000);

  afterAll(async () => {
    await t.close();
  });

  it('answers the bytes, type and length Fastify answered, large or small, kept or not', async () => {
    const page = { limit: LISTED, offset: 0 };
    const rows = await get(`?limit=${LISTED}&${RANGE}`);
    expect(rows.json<{ data: unknown[] }>().data).toHaveLength(LISTED);
    expectJsonOf(rows, serialized(await costs.rows(org, INPUT, page), rows));
    const cloud = await get(`/cloud?${RANGE}`);
    expect(cloud.json<{ data: unknown[] }>().data.length).toBeGreaterThan(1_000);
    expectJsonOf(cloud, serialized(await costs.category(org, 'cloud', INPUT, page), cloud));
    const granular = await get(`/trend-granular?${RANGE}`);
    expect(granular.json<{ data: unknown[] }>().data.length).toBeGreaterThan(1_000);
    const granularAnswer = await costs.granular(org, { ...INPUT, days: 30, clearCache: false });
    const heavy = ['limit', 'remaining', 'reset'].map((field) => `x-ratelimit-${field}-heavy-reads`);
    expectJsonOf(granular, serialized(granularAnswer, granular), heavy);

    // A small response, first from Nest, then kept (CostResponseCache) and answered from there.
    const summary = await get(`/summary?${RANGE}`);
    const summaryAnswer = await costs.summary(org, INPUT);
    expectJsonOf(summary, serialized(summaryAnswer, summary));
    const kept = await get(`/summary?${RANGE}`);
    expect(kept.json()).toMatchObject({ cache_hit: true });
    expectJsonOf(kept, serialized(summaryAnswer, kept));
    expect((await get('/cache/stats')).json()).toMatchObject({ responses: { hits: 1 } });

    // HEAD: the length of what GET sends (but for the digits of query_time_ms), no body.
    const head = await t.app.inject({ method: 'HEAD', url: `/api/v1/costs/${org}/cloud?${RANGE}`, headers });
    const again = await get(`/cloud?${RANGE}`);
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(JSON_TYPE);
    const lengths = [head, again].map((res) => Number(res.headers['content-length']));
    expect(Math.abs(lengths[0]! - lengths[1]!)).toBeLessThan(6);
  });

  it('answers refusals as problem+json still, from the handler or before it', async () => {
    for (const [path, h, status, code] of [
      // Refused by the service, inside the handler the response is written after.
      [`/cloud?start_date=2020-01-01&end_date=${END}`, headers, 422, 'VALIDATION_FAILED'],
      [`?limit=${LISTED + 1}&${RANGE}`, headers, 422, 'VALIDATION_FAILED'],
      [`/cloud?${RANGE}`, {}, 401, 'AUTH_REQUIRED'],
    ] as const) {
      const res = await get(path, h);
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toBe(PROBLEM_TYPE);
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
      expect(res.json()).toMatchObject({ status, code });
    }
    const unknown = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/no_such_org_here/genai?${RANGE}`,
      headers: rootHeaders,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toBe(PROBLEM_TYPE);
  });

  it('sends a listing of 10,000 rows without holding the event loop for one long serialization', async () => {
    const path = `?limit=${LISTED}&${RANGE}`;
    // Read and cached first: what is left of a response is writing it (listings are not kept).
    expect((await get(path)).statusCode).toBe(200);
    // The least of five, so that a collection of the test process's heap in one does not count, nor
    // another test file's worker taking the CPU for a while (the stalls are wall-clock time; the
    // stringify below is CPU time): with three, one loaded CI run saw 30, 62 and 35 ms beside 52.
    const stalls: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { status, body, longestMs } = await streamed(t, `/api/v1/costs/${org}${path}`, headers);
      expect(status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ cache_hit: true, pagination: { total: LISTED + 2_000 } });
      stalls.push(longestMs);
    }
    // One JSON.stringify of the very rows the response is made of (the result cache holds them).
    const answer = await costs.rows(org, INPUT, { limit: LISTED, offset: 0 });
    const whole = Math.min(
      cpuMsOf(() => JSON.stringify(answer)),
      cpuMsOf(() => JSON.stringify(answer)),
    );
    const seen = `${stalls.map((ms) => ms.toFixed(1)).join(', ')} ms; one stringify ${whole.toFixed(1)} ms`;
    expect(Math.min(...stalls), seen).toBeLessThan(whole / 2);
  });
});
