import { startTestApp, type TestApp } from '#test/test-app';

describe('pipeline routes in the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('documents trigger, both run paths, logs and run-all, each operation once', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/pipelines/trigger/{org}/{provider}/{domain}/{pipeline}',
        '/api/v1/pipelines/run/{org}/{category}/{provider}/{domain}/{pipeline}',
        '/api/v1/pipelines/metrics/cache',
        '/api/v1/pipelines/status/{org}',
        '/api/v1/pipelines/{org}/runs/{id}/download',
        '/api/v1/pipelines/{org}/batch-runs',
        '/api/v1/admin/pipelines/run-all',
      ]),
    );
    const legacyRun = doc.paths['/api/v1/pipelines/run/{org}/{provider}/{domain}/{pipeline}'];
    expect(legacyRun.post.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    const operationIds = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops as Record<string, { operationId: string }>).map((op) => op.operationId),
    );
    expect(new Set(operationIds).size).toBe(operationIds.length);
    expect(doc.components.schemas.PipelineDailyStatusDto).toBeDefined();
    const trigger = doc.paths['/api/v1/pipelines/trigger/{org}/{provider}/{domain}/{pipeline}'].post;
    expect(trigger.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    // Every status the proxy answers of its own: the upstream unreachable (502) too.
    expect(Object.keys(trigger.responses)).toEqual(
      expect.arrayContaining(['200', '429', '502', '503', '504']),
    );
  });
});
