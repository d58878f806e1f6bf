import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { THROWN_CODES } from '#test/openapi-thrown-codes';
import { ERROR_CATALOG } from '../apps/api/src/error-catalog.js';

type Ref = { $ref: string };
interface Response {
  description: string;
  content?: Record<string, { schema?: Ref & Record<string, unknown> }>;
  headers?: Record<string, Ref>;
}
interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: unknown;
  responses: Record<string, Response>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

const PROBLEM = 'application/problem+json';
const COSTS = '/api/v1/costs/{org}';

/** The one error answer of the API that is no problem: the liveness probe's own while closing. */
const NOT_PROBLEMS = ['get /health/live 503'];

/**
 * What the document says each operation can answer, against what the app does: errors as
 * problem+json with the statuses of its auth, inputs and limits, and the headers of each response.
 */
describe('error answers and response headers in the OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  const operations: [string, string, Operation][] = [];

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) operations.push([method, path, op]);
  });
  afterAll(() => t.close());

  const problemSchema = (r: Response | undefined) => r?.content?.[PROBLEM]?.schema?.$ref;
  const lacking = (wanted: (method: string, path: string, op: Operation) => string | undefined) =>
    operations.flatMap(([method, path, op]) => {
      const missing = wanted(method, path, op);
      return missing ? [`${method} ${path}: ${missing}`] : [];
    });

  it('declares 401 and 429 as problems on every authenticated operation, 401 with WWW-Authenticate', () => {
    const authenticated = operations.filter(([, , op]) => op.security?.length);
    expect(authenticated.length).toBeGreaterThan(50);
    expect(
      lacking((_, __, op) => {
        if (!op.security?.length) return undefined;
        const r401 = op.responses['401'];
        if (problemSchema(r401) !== '#/components/schemas/Problem') return 'no 401 problem';
        if (!r401?.headers?.['WWW-Authenticate']) return 'no WWW-Authenticate';
        if (problemSchema(op.responses['429']) !== '#/components/schemas/Problem') return 'no 429 problem';
        if (!op.responses['429']?.headers?.['Retry-After']) return 'no Retry-After on 429';
        if (!op.responses['500'] || !op.responses['503']) return 'no 500 or 503';
        return undefined;
      }),
    ).toEqual([]);
  });

  it("declares 403 on every operation an org key may call for a path's {org}, naming ORG_FORBIDDEN", () => {
    expect(
      lacking((_, path, op) => {
        const orgKey = op.security?.some((s) => 'ApiKey' in s);
        if (!orgKey || !path.includes('{org}')) return undefined;
        const r403 = op.responses['403'];
        if (problemSchema(r403) !== '#/components/schemas/Problem') return 'no 403 problem';
        return r403?.description.includes('ORG_FORBIDDEN') ? undefined : '403 without ORG_FORBIDDEN';
      }),
    ).toEqual([]);
  });

  it('declares 422 with the field violations on every operation that takes query or body fields', () => {
    const withInput = operations.filter(
      ([, , op]) => op.requestBody || op.parameters?.some((p) => p.in === 'query'),
    );
    expect(withInput.length).toBeGreaterThan(30);
    expect(
      lacking((_, __, op) =>
        (op.requestBody || op.parameters?.some((p) => p.in === 'query')) &&
        problemSchema(op.responses['422']) !== '#/components/schemas/ValidationProblem'
          ? 'no 422 ValidationProblem'
          : undefined,
      ),
    ).toEqual([]);
    const violation = (doc.components.schemas.ValidationProblem as { properties: Record<string, unknown> })
      .properties.errors;
    expect(violation).toMatchObject({ type: 'array', items: { required: ['field', 'message'] } });
  });

  it('declares the refusal of a body that is not JSON or not valid JSON, also where the route needs no body', async () => {
    const { org, key } = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    const issues: string[] = [];
    for (const [method, path, op] of operations) {
      if (!['post', 'put', 'patch', 'delete'].includes(method) || !op.security) continue;
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'org' ? org : 'x'));
      // Valid credentials, so that the body is what is refused (nothing runs with a refused body).
      const orgOnly = !op.security.some((s) => 'RootKey' in s);
      const credentials = orgOnly ? { 'x-api-key': key } : rootHeaders;
      for (const [type, payload] of [
        ['text/plain', 'x'],
        ['application/json', '{bad'],
      ] as const) {
        const headers = { ...credentials, 'content-type': type };
        const res = await t.app.inject({ method: method.toUpperCase() as 'POST', url, headers, payload });
        if (!op.responses[res.statusCode])
          issues.push(`${method} ${path} ${type}: ${res.statusCode} ${res.json<{ code: string }>().code}`);
      }
    }
    expect(issues).toEqual([]);
  });

  it('gives every error a problem+json body and every response X-Request-ID', () => {
    expect(
      lacking((method, path, op) => {
        for (const [status, r] of Object.entries(op.responses)) {
          if (!r.headers?.['X-Request-ID']) return `${status} without X-Request-ID`;
          if (
            Number(status) >= 400 &&
            !r.content?.[PROBLEM]?.schema &&
            !NOT_PROBLEMS.includes(`${method} ${path} ${status}`)
          )
            return `${status} is not problem+json`;
        }
        return undefined;
      }),
    ).toEqual([]);
    expect(doc.components.schemas.Problem).toMatchObject({
      required: ['type', 'title', 'status', 'detail', 'code', 'request_id'],
    });
  });

  it('names only codes the error catalog maps to the status they are listed under', () => {
    // The derived lists spell each code (`- \`CODE\`: when`); a code renamed or remapped in its
    // module's catalog must not leave the document promising the old one.
    const wrong = operations.flatMap(([method, path, op]) =>
      Object.entries(op.responses).flatMap(([status, r]) =>
        [...r.description.matchAll(/^- `([A-Z][A-Z0-9_]+)`:/gm)]
          .map((m) => m[1])
          .filter((code) => ERROR_CATALOG[code]?.status !== Number(status))
          .map(
            (code) => `${method} ${path} ${status}: ${code} (${ERROR_CATALOG[code]?.status ?? 'unknown'})`,
          ),
      ),
    );
    expect(wrong).toEqual([]);
  });

  it('names each domain code a route throws under the status the catalog maps it to', () => {
    // A code in a route's own words (`CODE: when`) is held to its status as the derived lists are.
    const operationsByKey = new Map(operations.map(([m, p, op]) => [`${m} ${p}`, op]));
    const named = (op: Operation | undefined, status: number, code: string) =>
      new RegExp(`\\b${code}\\b`).test(op?.responses[status]?.description ?? '');
    const issues = Object.entries(THROWN_CODES).flatMap(([key, codes]) =>
      codes
        .filter((code) => !named(operationsByKey.get(key), ERROR_CATALOG[code]?.status ?? 0, code))
        .map((code) => `${key}: ${code} not under ${ERROR_CATALOG[code]?.status ?? 'unknown'}`),
    );
    for (const [method, path, op] of operations)
      for (const [status, r] of Object.entries(op.responses))
        for (const code of r.description.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? [])
          if (ERROR_CATALOG[code] && ERROR_CATALOG[code].status !== Number(status))
            issues.push(`${method} ${path}: ${code} under ${status}, not ${ERROR_CATALOG[code].status}`);
    expect(issues).toEqual([]);
  });

  it("keeps a route's own description of a status and adds the codes it did not name", () => {
    const trigger = doc.paths['/api/v1/pipelines/trigger/{org}/{provider}/{domain}/{pipeline}'].post;
    expect(trigger.responses['503'].description).toMatch(
      /^CIRCUIT_OPEN, with Retry-After; or PIPELINE_SERVICE_UNAVAILABLE/,
    );
    expect(trigger.responses['503'].description).toContain('`SERVICE_UNAVAILABLE`');
    expect(trigger.responses['502'].description).toMatch(/^PIPELINE_SERVICE_UNREACHABLE/);
    const onboard = doc.paths['/api/v1/organizations/onboard'].post;
    expect(onboard.responses['409'].description).toMatch(/^IDEMPOTENCY_REQUEST_IN_PROGRESS/);
    // Named by the route already: not listed twice.
    expect(onboard.responses['422'].description.match(/VALIDATION_FAILED/g)).toHaveLength(1);
    // Either key: either check can be unavailable.
    const unavailable = doc.paths[`${COSTS}/summary`].get.responses['503'].description;
    expect(unavailable).toContain('`ROOT_KEY_NOT_CONFIGURED`');
    expect(unavailable).toContain('`AUTH_SERVICE_UNAVAILABLE`');
    const rootOnly = doc.paths['/api/v1/organizations/onboard'].post.responses['503'].description;
    expect(rootOnly).not.toContain('AUTH_SERVICE_UNAVAILABLE');
    const scopes = doc.paths[`${COSTS}/cache/invalidate`].post.responses['403'].description;
    expect(scopes).toContain('`INSUFFICIENT_SCOPE`: the org key lacks org:write');
    // Public and not counted: no credentials to refuse and no limit to spend.
    const metrics = doc.paths['/metrics'].get.responses;
    expect(Object.keys(metrics).sort()).toEqual(['200', '401', '403', '503']);
  });

  it('documents the rate-limit, idempotency, quota and download headers on the responses that carry them', () => {
    const headers = (path: string, method: string, status: string) =>
      Object.keys(doc.paths[path][method].responses[status].headers ?? {});
    expect(headers(`${COSTS}/summary`, 'get', '200')).toEqual(
      expect.arrayContaining([
        'X-RateLimit-Limit-reads',
        'X-RateLimit-Remaining-reads',
        'X-RateLimit-Reset-reads',
      ]),
    );
    expect(headers(`${COSTS}/trend-granular`, 'get', '429')).toEqual(
      expect.arrayContaining(['Retry-After', 'Retry-After-reads', 'Retry-After-heavy-reads']),
    );
    expect(headers('/api/v1/organizations/onboard', 'post', '200')).toEqual(
      expect.arrayContaining(['Idempotent-Replayed', 'X-RateLimit-Limit-admin', 'X-RateLimit-Limit-writes']),
    );
    expect(headers('/api/v1/validator/validate/{org}', 'post', '200')).toEqual(
      expect.arrayContaining(['Retry-After', 'X-RateLimit-Limit-pipeline-service']),
    );
    expect(headers('/api/v1/pipelines/trigger/{org}/{provider}/{domain}/{pipeline}', 'post', '200')).toEqual(
      expect.arrayContaining([
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Idempotency-Key',
      ]),
    );
    const download = doc.paths['/api/v1/pipelines/{org}/runs/{id}/download'].get.responses['200'];
    expect(Object.keys(download.content ?? {})).toEqual(['application/json', 'text/csv']);
    expect(download.headers?.['Content-Disposition']).toEqual({
      $ref: '#/components/headers/Content-Disposition',
    });
    // A cost import answered 202 names its status in Location.
    expect(headers('/api/v1/admin/organizations/{org}/costs/import', 'post', '202')).toEqual(
      expect.arrayContaining(['Location', 'X-Request-ID']),
    );
    // Not counted against any limit: no rate-limit headers, no 429.
    expect(headers('/health/ready', 'get', '200')).toEqual(['X-Request-ID', 'X-API-Version']);
    expect(doc.paths['/health/ready'].get.responses['429']).toBeUndefined();
  });

  it('gives every success a body schema: the cost reads, the health probes and the download included', () => {
    expect(
      lacking((_, __, op) => {
        const ok = Object.entries(op.responses).filter(([status]) => Number(status) < 300);
        if (!ok.length) return 'no success documented';
        const bare = ok.filter(([, r]) => !r.content || Object.values(r.content).some((c) => !c.schema));
        return bare.length ? `${bare.map(([s]) => s).join(', ')} without a schema` : undefined;
      }),
    ).toEqual([]);
    const envelope = doc.components.schemas.CostRowsResponseDto as { required: string[] };
    expect(envelope.required.sort()).toEqual(
      ['cache_hit', 'currency', 'data', 'error', 'pagination', 'query_time_ms', 'success', 'summary'].sort(),
    );
  });

  it('says the provider and service category filters match in any case', () => {
    for (const name of ['providers', 'service_categories']) {
      const description = doc.paths[`${COSTS}/summary`].get.parameters?.find(
        (p) => p.name === name,
      )?.description;
      expect(description).toContain('any case');
      expect(description).not.toContain('exact');
    }
  });
});
