import { getMetadataStorage } from 'class-validator';
import { startTestApp, type TestApp } from '#test/test-app';

describe('the OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });

  it('publishes an OpenAPI 3 document listing every route with its auth, and Swagger UI', async () => {
    const doc = (await get('/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toMatchObject({
      ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      RootKey: { type: 'apiKey', in: 'header', name: 'X-CA-Root-Key' },
    });
    expect(doc.paths['/api/v1/admin/bootstrap'].post.security).toEqual([{ RootKey: [] }]);
    expect(doc.paths['/api/v1/admin/bootstrap/status'].get.security).toEqual([{ RootKey: [] }]);
    // Every reference resolves (a code generator stops at the first that does not).
    const refs = new Set<string>();
    JSON.stringify(doc, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') refs.add(value);
      return value;
    });
    expect(refs.size).toBeGreaterThan(10);
    // Schemas and response headers alike: each JSON pointer names something in the document.
    expect([...refs].filter((r) => r.startsWith('#/components/headers/')).length).toBeGreaterThan(5);
    const resolve = (ref: string): unknown =>
      ref
        .slice(2)
        .split('/')
        .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^#\//);
      expect(resolve(ref), ref).toBeDefined();
    }
    const metrics = doc.paths['/metrics'].get;
    expect(Object.keys(metrics.responses['200'].content)).toEqual(['text/plain; version=0.0.4']);
    expect(metrics.security).toBeUndefined();
    const ui = await get('/docs');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger-ui');
  });

  it('types every request field in the OpenAPI document (no field left a shapeless object)', async () => {
    const doc = (await get('/openapi.json')).json();
    type Schema = { type?: string; properties?: Record<string, Schema>; $ref?: string; [k: string]: unknown };
    const shapeless: string[] = [];
    const visit = (where: string, schema: Schema | undefined) => {
      if (!schema || schema.$ref) return;
      // What a DTO field without a type annotation becomes: `object` with nothing to say what.
      const named = ['properties', 'additionalProperties', 'allOf', 'oneOf', 'anyOf'];
      if (schema.type === 'object' && !named.some((k) => k in schema)) shapeless.push(where);
      for (const [name, child] of Object.entries(schema.properties ?? {})) visit(`${where}.${name}`, child);
    };
    for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, Schema>))
      visit(name, schema);
    for (const [path, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { parameters?: { name: string; schema?: Schema }[] }>>,
    ))
      for (const [method, op] of Object.entries(ops))
        for (const p of op.parameters ?? []) visit(`${method} ${path} ${p.name}`, p.schema);
    expect(shapeless).toEqual([]);
  });

  it('declares integer every body field the server holds to integers', async () => {
    const doc = (await get('/openapi.json')).json();
    const schemas = doc.components.schemas as Record<
      string,
      { properties?: Record<string, { type?: string }> }
    >;
    // class-validator keeps its rules by class in a map its types call private; read, never changed.
    type Rule = { name?: string; propertyName: string };
    const byClass = (
      getMetadataStorage() as unknown as { validationMetadatas: Map<{ name: string }, Rule[]> }
    ).validationMetadatas;
    const checked: string[] = [];
    const untyped: string[] = [];
    for (const [target, rules] of byClass)
      for (const rule of rules) {
        const property = schemas[target.name]?.properties?.[rule.propertyName];
        if (rule.name !== 'isInt' || !property) continue;
        checked.push(`${target.name}.${rule.propertyName}`);
        if (property.type !== 'integer') untyped.push(`${target.name}.${rule.propertyName}`);
      }
    expect(checked).toEqual(expect.arrayContaining(['UpdateSubscriptionRequestDto.daily_limit']));
    expect(untyped).toEqual([]);
  });
});
