import { ModulesContainer } from '@nestjs/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { controllerRoutes } from '#platform';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { type Auth, type Call, CALLS, UNKNOWN_ORG } from '#test/openapi-calls';
import { OpenApiContract } from '#test/openapi-contract';
import { acceptedValues, type FieldSchema, passes, refusedFields, refusedValues } from '#test/openapi-probes';
import { onboardOrg } from '#test/org-onboarding';
import { startAppWithPipelineService } from '#test/pipeline-service-app';
import { rootHeaders, type TestApp } from '#test/test-app';
import { HealthProbes } from '../apps/api/src/health/health-probes.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: FieldSchema;
}
interface Operation {
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: FieldSchema }> };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<
      string,
      { properties?: Record<string, FieldSchema>; required?: string[]; additionalProperties?: unknown }
    >;
  };
}

/** The security requirement the document must give each kind of route. */
const SECURITY: Record<string, Record<string, string[]>[] | undefined> = {
  public: undefined,
  root: [{ RootKey: [] }],
  org: [{ ApiKey: [] }],
  'org-or-root': [{ ApiKey: [] }, { RootKey: [] }],
};

/**
 * The OpenAPI document the dashboard generates its client from, against what the running app does:
 * every route the app serves is documented with its credentials and parameters, and every answer
 * to real requests (successes and refusals) has a documented status, media type, body and headers.
 */
describe('the OpenAPI document is true to the app', () => {
  let t: TestApp;
  let close: (() => Promise<void>) | undefined;
  let doc: Document;
  let contract: OpenApiContract;
  let org: string;
  let key: string;
  let spare: string;

  beforeAll(async () => {
    // Ports 4100-4199 are this suite's to listen on: the first free one.
    for (let port = 4100; port < 4200 && !close; port++)
      try {
        ({ t, close } = await startAppWithPipelineService(
          { requestTimeoutMs: 2000, retryDelaysMs: [], triggerLimitPerMinute: 100_000 },
          {},
          port,
        ));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    ({ org, key } = await onboardOrg(t, 'oaconf', 'Conformance Inc'));
    ({ org: spare } = await onboardOrg(t, 'oaspare', 'Spare Inc'));
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    doc = res.json<Document>();
    contract = new OpenApiContract(doc);
  });
  afterAll(() => close?.());

  const operation = (op: string) => {
    const [method, path] = op.split(' ') as [string, string];
    return { method, path, spec: doc.paths[path]![method]! };
  };
  const credentials = (auth: Auth): Record<string, string> =>
    auth === 'root' ? rootHeaders : auth === 'key' ? { 'x-api-key': key } : {};
  const send = (call: Call, remoteAddress?: string) => {
    const { method, path } = operation(call.op);
    const target = call.org ?? org;
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
      name === 'org' ? target : encodeURIComponent(call.path?.[name] ?? name),
    );
    const body =
      typeof call.body === 'object'
        ? JSON.parse(JSON.stringify(call.body).replaceAll('{org}', target))
        : call.body;
    return t.app.inject({
      method: method.toUpperCase() as 'GET',
      url: call.query ? `${url}?${call.query}` : url,
      headers: { ...credentials(call.auth ?? 'root'), ...call.headers },
      ...(body === undefined ? {} : { payload: body }),
      ...(remoteAddress && { remoteAddress }),
    });
  };
  const documentedOps = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));

  it('is a valid OpenAPI 3 document', async () => {
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the app serves, with its credentials and path parameters', () => {
    const served: { op: string; auth: string }[] = controllerRoutes(t.app.get(ModulesContainer)).map((r) => ({
      op: `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`,
      auth: r.auth ?? 'public',
    }));
    served.push(...t.app.get(HealthProbes).routes.map((p) => ({ op: `get ${p.url}`, auth: 'public' })));
    expect(served.map((r) => r.op).sort()).toEqual(documentedOps().sort());
    const wrong = served.flatMap(({ op, auth }) => {
      const { path, spec } = operation(op);
      const issues: string[] = [];
      if (JSON.stringify(spec.security) !== JSON.stringify(SECURITY[auth]))
        issues.push(`${op}: security ${JSON.stringify(spec.security)} for a ${auth} route`);
      for (const [, name] of path.matchAll(/\{(\w+)\}/g))
        if (!spec.parameters?.some((p) => p.in === 'path' && p.name === name && p.required))
          issues.push(`${op}: path parameter ${name} not documented as required`);
      return issues;
    });
    expect(wrong).toEqual([]);
  });

  it('calls every documented operation', () => {
    const called = new Set(CALLS.map((c) => c.op));
    expect(documentedOps().filter((op) => !called.has(op))).toEqual([]);
  });

  it.each(CALLS.map((c) => [c.op, c.status, c] as const))(
    'answers %s with %i as documented',
    async (op, status, call) => {
      const res = await send(call);
      expect(res.statusCode, res.body.slice(0, 500)).toBe(status);
      const { method, path } = operation(op);
      expect(contract.conformance(method, path, res)).toEqual([]);
    },
  );

  it('refuses each authenticated operation without credentials (401), a wrong root key (403), a malformed {org} (422), as documented', async () => {
    const issues: string[] = [];
    let probed = 0;
    for (const op of documentedOps()) {
      const { method, path, spec } = operation(op);
      if (!spec.security) continue;
      // The body as the route reads it: an upload's media type is checked before its path.
      const mediaType = Object.keys(spec.requestBody?.content ?? {})[0];
      const base: Call = {
        op,
        status: 0,
        auth: 'none',
        ...(mediaType && {
          body: mediaType.endsWith('json') ? {} : 'x',
          headers: { 'content-type': mediaType },
        }),
      };
      // The org key beside a wrong root key, on a route that takes the org key: the root key decides.
      const orgOnly = !spec.security.some((s) => 'RootKey' in s);
      const wrongRoot = { ...base.headers, 'x-ca-root-key': 'not-the-root-key' };
      const probes: [number, Call][] = [
        [401, base],
        [403, { ...base, auth: orgOnly ? 'key' : 'none', headers: wrongRoot }],
      ];
      if (path.includes('{org}'))
        probes.push([422, { ...base, auth: orgOnly ? 'key' : 'root', org: 'Not-A-Slug' }]);
      // Each operation from an address of its own: the refusals count as failed authentications
      // of their address, whose own limit (a 429) would otherwise answer the later probes.
      const remoteAddress = `10.0.${Math.floor(probed / 250)}.${(probed % 250) + 1}`;
      probed++;
      for (const [status, call] of probes) {
        const res = await send(call, remoteAddress);
        if (res.statusCode !== status) issues.push(`${op}: ${res.statusCode} where ${status}`);
        issues.push(...contract.conformance(method, path, res).map((i) => `${op} ${status}: ${i}`));
      }
    }
    expect(issues).toEqual([]);
  });

  it('answers a cost import (200, and 202 with Location), a bad file (422) and its report as documented', async () => {
    const op = 'post /api/v1/admin/organizations/{org}/costs/import';
    const upload = (payload: string, headers: Record<string, string> = {}) =>
      send({
        op,
        status: 0,
        auth: 'key',
        body: payload,
        headers: { 'content-type': 'text/csv', ...headers },
      });
    const csv = focusCsv([aFocusFileRow({ BilledCost: '3' })]);
    const { method, path } = operation(op);
    const done = await upload(csv);
    expect(done.statusCode, done.body).toBe(200);
    expect(contract.conformance(method, path, done)).toEqual([]);
    const bad = await upload('a,b\n1,2\n');
    expect(bad.statusCode, bad.body).toBe(422);
    expect(contract.conformance(method, path, bad)).toEqual([]);
    const queued = await upload(csv, { prefer: 'respond-async' });
    expect(queued.statusCode, queued.body).toBe(202);
    expect(contract.conformance(method, path, queued)).toEqual([]);
    const report = 'get /api/v1/admin/organizations/{org}/costs/import/{id}';
    const id = queued.json<{ import_id: string }>().import_id;
    expect(queued.headers.location).toBe(`/api/v1/admin/organizations/${org}/costs/import/${id}`);
    const polled = await send({ op: report, status: 0, auth: 'key', path: { id } });
    expect(polled.statusCode, polled.body).toBe(200);
    expect(contract.conformance('get', operation(report).path, polled)).toEqual([]);
  });

  it('answers the 429 of too many failed authentications from one address with its documented Retry-After', async () => {
    const op = `get /api/v1/costs/{org}/summary`;
    const guess: Call = { op, status: 0, auth: 'none', headers: { 'x-ca-root-key': 'a-guess' } };
    let res = await send(guess, '10.1.0.1');
    for (let i = 0; i < 100 && res.statusCode === 403; i++) res = await send(guess, '10.1.0.1');
    expect(res.statusCode, res.body).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const { method, path } = operation(op);
    expect(contract.conformance(method, path, res)).toEqual([]);
  });

  it('refuses a path or query value its documented schema refuses, naming it, and takes the values it takes', async () => {
    const issues: string[] = [];
    for (const op of documentedOps()) {
      const { method, spec } = operation(op);
      // Reads only: a value wrongly taken must not start a write.
      const call = CALLS.find((c) => c.op === op);
      if (!call || method !== 'get') continue;
      for (const p of spec.parameters ?? []) {
        if (p.in === 'header' || p.name === 'org') continue;
        // `extra`: a query field no schema has, so that a request with a good value is refused all
        // the same and reads nothing (unknown fields are refused), naming only that field.
        const sendWith = (value: unknown, extra = '') =>
          send(
            p.in === 'path'
              ? { ...call, path: { ...call.path, [p.name]: String(value) } }
              : { ...call, query: `${p.name}=${encodeURIComponent(String(value))}${extra}` },
          );
        for (const value of refusedValues(p.schema, true)) {
          const res = await sendWith(value);
          if (res.statusCode !== 422 || !refusedFields(res.json()).includes(p.name))
            issues.push(
              `${op} ${p.in} ${p.name}=${String(value)}: ${res.statusCode} ${res.body.slice(0, 160)}`,
            );
        }
        for (const value of acceptedValues(p.schema, true)) {
          const res = await sendWith(value, '&zz_not_a_field=1');
          if (res.statusCode === 422 && refusedFields(res.json()).includes(p.name))
            issues.push(`${op} ${p.in} ${p.name}=${String(value)} refused: ${res.body.slice(0, 160)}`);
        }
      }
    }
    expect(issues).toEqual([]);
  });

  it('requires exactly the body fields the document marks required, refuses the values it refuses and takes the values it takes', async () => {
    const issues: string[] = [];
    for (const op of documentedOps()) {
      const { spec } = operation(op);
      const ref = spec.requestBody?.content['application/json']?.schema.$ref;
      if (!ref) continue;
      const schema = doc.components.schemas[ref.split('/').pop()!]!;
      const auth: Auth = spec.security?.some((s) => 'RootKey' in s) ? 'root' : 'key';
      const required = [...(schema.required ?? [])].sort();
      // Closed, as the server is: the field no schema has is refused below.
      if (schema.additionalProperties !== false)
        issues.push(`${op}: body schema not closed (additionalProperties)`);
      const target = auth === 'root' ? spare : org;
      const empty = await send({ op, status: 0, auth, org: target, body: {} });
      // No body at all is read as {}: a body the app does not need must not be documented required.
      const absent = await send({ op, status: 0, auth, org: target });
      if (absent.statusCode !== empty.statusCode || spec.requestBody?.required !== required.length > 0)
        issues.push(
          `${op}: body documented required=${spec.requestBody?.required}; without one ${absent.statusCode}, {} ${empty.statusCode}`,
        );
      const missing = empty.statusCode === 422 ? refusedFields(empty.json()) : [];
      if (!EITHER_OF[op] && JSON.stringify([...new Set(missing)].sort()) !== JSON.stringify(required))
        issues.push(
          `${op}: {} refused for [${missing.join(', ')}], documented required [${required.join(', ')}]`,
        );
      for (const [name, field] of Object.entries(schema.properties ?? {}))
        for (const value of refusedValues(field, false)) {
          const res = await send({
            op,
            status: 0,
            auth,
            org: auth === 'root' ? UNKNOWN_ORG : org,
            body: { [name]: value },
          });
          if (res.statusCode !== 422 || !refusedFields(res.json()).includes(name))
            issues.push(
              `${op} ${name}=${JSON.stringify(value)}: ${res.statusCode} ${res.body.slice(0, 160)}`,
            );
        }
      // Beside a field no schema has (refused: unknown fields are), so the request is refused
      // whatever the value does and nothing runs: only that field may be named.
      for (const [name, field] of Object.entries(schema.properties ?? {}))
        for (const value of acceptedValues(field, false)) {
          const body = { [name]: value, zz_not_a_field: true };
          const res = await send({ op, status: 0, auth, org: auth === 'root' ? UNKNOWN_ORG : org, body });
          const named = res.statusCode === 422 ? refusedFields(res.json()) : [];
          if (!named.includes('zz_not_a_field') || named.includes(name))
            issues.push(
              `${op} ${name}=${JSON.stringify(value)} refused: ${res.statusCode} ${res.body.slice(0, 160)}`,
            );
        }
    }
    expect(issues).toEqual([]);
  });

  it('documents the Idempotency-Key values each operation refuses: the schema refuses exactly them', async () => {
    const sent = ['', 'has space', 'tab\there', 'k'.repeat(255), 'k'.repeat(256), 'run-2026_01:a@b'];
    const issues: string[] = [];
    let probed = 0;
    for (const op of documentedOps()) {
      const header = operation(op).spec.parameters?.find(
        (p) => p.in === 'header' && p.name === 'Idempotency-Key',
      );
      if (!header) continue;
      probed++;
      // A request the route goes through with (onboarding's org exists: 409), so that only the header
      // can be refused; the validator's run id comes from the header, so the body names none.
      const call = CALLS.find((c) => c.op === op && c.status < 400) ?? CALLS.find((c) => c.op === op)!;
      const { pipeline_logging_id: _runId, ...body } = call.body as Record<string, unknown>;
      for (const [i, value] of sent.entries()) {
        const res = await send({ ...call, body, headers: { ...call.headers, 'idempotency-key': value } });
        const refused = res.statusCode === 422 && refusedFields(res.json()).includes('Idempotency-Key');
        if (refused === passes(header.schema, value))
          issues.push(
            `${op} value ${i}: ${res.statusCode}, documented ${passes(header.schema, value) ? 'taken' : 'refused'}`,
          );
      }
    }
    expect(probed).toBe(6);
    expect(issues).toEqual([]);
  });
});

/** Bodies whose rule is "one of these fields", which their descriptions state (JSON Schema 3.0 here cannot without oneOf). */
const EITHER_OF: Record<string, true> = {
  'put /api/v1/organizations/{org}/locale': true,
  'post /api/v1/validator/heartbeat/{org}': true,
  'post /api/v1/validator/complete/{org}': true,
};
