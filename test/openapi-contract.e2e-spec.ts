import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { aFocusRow, TEST_HIERARCHY, writeFocusRows } from '#test/focus-rows';
import { OpenApiContract } from '#test/openapi-contract';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { WAREHOUSE, type Warehouse } from '#warehouse';

/** `days` days before today (UTC), as YYYY-MM-DD. */
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

const COSTS = '/api/v1/costs/{org}';
const RANGE = `start_date=${daysAgo(60)}&end_date=${daysAgo(0)}`;

/** Each cost route, called as the dashboard does, with the document's path of it. */
const COST_CALLS: [method: 'GET' | 'POST', documented: string, query: string][] = [
  ['GET', COSTS, `${RANGE}&limit=50`],
  ['GET', `${COSTS}/summary`, RANGE],
  ['GET', `${COSTS}/by-provider`, RANGE],
  ['GET', `${COSTS}/by-service`, RANGE],
  ['GET', `${COSTS}/trend`, 'days=90&granularity=weekly'],
  ['GET', `${COSTS}/trend`, 'days=90&category=cloud'],
  ['GET', `${COSTS}/trend-granular`, 'days=90'],
  ['GET', `${COSTS}/subscriptions`, RANGE],
  ['GET', `${COSTS}/cloud`, RANGE],
  ['GET', `${COSTS}/genai`, RANGE],
  ['GET', `${COSTS}/total`, RANGE],
  ['GET', `${COSTS}/cache/stats`, ''],
  ['POST', `${COSTS}/cache/invalidate`, ''],
];

/**
 * The bodies the app really sends, checked against the 200 (and error) schemas its OpenAPI
 * document declares, strictly: a field the document lacks fails, as does a documented one missing
 * or of another type. Costs come in through the import route, and straight into the warehouse for
 * what an import does not write (the hierarchy), so every field is met with a value and as null.
 */
describe('the OpenAPI document describes the bodies the app sends', () => {
  let t: TestApp;
  let org: string;
  let key: string;
  let contract: OpenApiContract;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000', RATE_LIMIT_WRITES_PER_MINUTE: '100000' });
    ({ org, key } = await onboardOrg(t, 'oacontract', 'OpenAPI Contract Inc'));
    const imports: [source: string, rows: Record<string, string>[]][] = [
      ['cloud_aws_billing', [aFocusFileRow({ day: daysAgo(2) }), aFocusFileRow({ day: daysAgo(40) })]],
      [
        'genai_costs_daily_unified',
        [
          aFocusFileRow({
            day: daysAgo(1),
            ServiceProviderName: 'OpenAI',
            ServiceName: 'GPT-4o',
            ServiceCategory: 'AI and Machine Learning',
            ConsumedQuantity: '4100',
            ConsumedUnit: 'Tokens',
          }),
        ],
      ],
      [
        'subscription_costs_daily',
        [aFocusFileRow({ day: daysAgo(3), ServiceProviderName: 'Slack', ServiceCategory: 'SaaS' })],
      ],
    ];
    for (const [source, rows] of imports) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/organizations/${org}/costs/import?source_system=${source}`,
        headers: { 'x-api-key': key, 'content-type': 'text/csv' },
        payload: focusCsv(rows),
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const team = TEST_HIERARCHY.find((e) => e.id === 'TEAM-1')!;
    await writeFocusRows(t.app.get<Warehouse>(WAREHOUSE), t.config.orgDataset(org), [
      aFocusRow({ org, date: daysAgo(5), provider: 'Google Cloud', entity: team, resourceName: 'vm-1' }),
      aFocusRow({ org, date: daysAgo(6), provider: 'Datadog', sourceSystem: 'custom_upload', entity: null }),
    ]);
    contract = new OpenApiContract((await t.app.inject({ method: 'GET', url: '/openapi.json' })).json());
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'POST', documented: string, query: string, headers: object) =>
    t.app.inject({
      method,
      url: `${documented.replace('{org}', org)}${query ? `?${query}` : ''}`,
      headers: { ...headers },
    });

  it('checks strictly: a field the document lacks fails, and so does a documented one missing', async () => {
    const res = await call('GET', `${COSTS}/by-provider`, RANGE, { 'x-api-key': key });
    const body = res.json<Record<string, unknown>>();
    expect(contract.check('GET', `${COSTS}/by-provider`, res)).toEqual([]);
    expect(contract.errors('GET', `${COSTS}/by-provider`, 200, { ...body, errors: [] })).not.toEqual([]);
    const { currency: _currency, ...withoutCurrency } = body;
    expect(contract.errors('GET', `${COSTS}/by-provider`, 200, withoutCurrency)).not.toEqual([]);
  });

  it.each(COST_CALLS)(
    'answers %s %s?%s as its 200 schema says, served and kept',
    async (method, path, query) => {
      for (const attempt of ['first', 'again'])
        for (const headers of [{ 'x-api-key': key }, rootHeaders]) {
          const res = await call(method, path, query, headers);
          expect(res.statusCode, `${attempt}: ${res.body}`).toBe(200);
          expect(contract.check(method, path, res), `${attempt}: ${res.body}`).toEqual([]);
        }
    },
  );

  it('lists rows with values and with nulls, each category with rows', async () => {
    for (const path of [COSTS, `${COSTS}/cloud`, `${COSTS}/genai`, `${COSTS}/subscriptions`]) {
      const res = await call('GET', path, RANGE, { 'x-api-key': key });
      expect(res.json<{ data: unknown[] }>().data.length, path).toBeGreaterThan(0);
    }
    const rows = (await call('GET', COSTS, RANGE, { 'x-api-key': key })).json<{
      data: Record<string, unknown>[];
    }>().data;
    expect(rows.some((r) => r.x_hierarchy_path === null)).toBe(true);
    expect(rows.some((r) => r.x_hierarchy_path === '/DEPT-1/PROJ-1/TEAM-1')).toBe(true);
  });

  it.each(['/', '/health', '/health/live', '/health/ready'])('answers GET %s as documented', async (path) => {
    const res = await t.app.inject({ method: 'GET', url: path });
    expect(contract.check('GET', path, res), res.body).toEqual([]);
  });

  it('refuses with the problem bodies the document declares (401, 403, 422)', async () => {
    const refusals = [
      [401, await call('GET', `${COSTS}/summary`, '', {})],
      [403, await call('GET', `${COSTS}/summary`, '', { 'x-api-key': key, 'x-ca-root-key': 'wrong' })],
      [422, await call('GET', `${COSTS}/trend`, 'days=0&granularity=hourly', { 'x-api-key': key })],
    ] as const;
    for (const [status, res] of refusals) {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(
        contract.check('GET', `${COSTS}/${status === 422 ? 'trend' : 'summary'}`, res),
        res.body,
      ).toEqual([]);
    }
    // The 422 lists each refused field.
    expect(refusals[2][1].json<{ errors: unknown[] }>().errors.length).toBe(2);
  });
});
