import { parse } from 'yaml';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * The OpenAPI document is public and large (~450 KB): it is serialized once, when it is built, not
 * on every request (@nestjs/swagger's routes wrote the YAML in ~80 ms of the event loop each time,
 * so 20 anonymous connections asking for it held /health for 11 s).
 */
describe('the OpenAPI document routes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  afterEach(() => vi.restoreAllMocks());

  it('serves /openapi.json without serializing the document again', async () => {
    const stringify = vi.spyOn(JSON, 'stringify');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await t.app.inject({ method: 'GET', url: '/openapi.json' }));
    const documents = stringify.mock.calls.filter(([value]) => (value as { openapi?: unknown })?.openapi);
    expect(documents).toHaveLength(0);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(answers[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answers[0]!.json()).toMatchObject({ openapi: expect.any(String), paths: expect.any(Object) });
  });

  it('serves /openapi.yaml as the same document', async () => {
    const json = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const yaml = await t.app.inject({ method: 'GET', url: '/openapi.yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers['content-type']).toBe('text/yaml');
    expect(parse(yaml.body)).toEqual(json);
  });

  it('keeps the Swagger UI, whose script carries the document', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    const script = await t.app.inject({ method: 'GET', url: '/docs/swagger-ui-init.js' });
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('"openapi"');
  });
});
