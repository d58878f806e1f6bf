import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { started } from '#test/fake-pipeline-service';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { pipelineServiceAppForAll } from '#test/pipeline-service-app';
import { rootHeaders } from '#test/test-app';

describe("admin run-all and the pipeline service's 2xx answers", () => {
  const s = pipelineServiceAppForAll({ retryDelaysMs: [20] });

  it('does not count a 2xx without a JSON object body (a proxy page, a cut answer) as triggered', async () => {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    await s.t.app.get(ApiKeyService).issue(org);
    await integrationCredentials(s.warehouse, org, ['OPENAI', 'GEMINI', 'DEEPSEEK']);
    s.fake.handle((req) =>
      req.path.endsWith('/openai')
        ? { status: 200, body: '<html><body>Welcome to nginx!</body></html>' }
        : req.path.endsWith('/gemini')
          ? { status: 202, body: ['not', 'an', 'object'] }
          : started(req),
    );
    const res = await s.t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/pipelines/run-all',
      headers: rootHeaders,
      payload: { org_slug: org, date: '2026-03-09' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'PARTIAL', pipelines_triggered: 1, pipelines_failed: 2 });
    const byPath = Object.fromEntries(
      res.json().results.map((r: { pipeline_path: string }) => [r.pipeline_path, r]),
    );
    expect(byPath['genai/payg/deepseek']).toMatchObject({ status: 'triggered', http_status: 200 });
    for (const [path, status] of [
      ['genai/payg/openai', 200],
      ['genai/payg/gemini', 202],
    ] as const)
      expect(byPath[path]).toEqual({
        org_slug: org,
        provider: path.endsWith('openai') ? 'OPENAI' : 'GEMINI',
        pipeline_path: path,
        date: '2026-03-09',
        status: 'failed',
        http_status: status,
        detail: `The pipeline service answered HTTP ${status} without a JSON object body: the run may or may not have started`,
      });
  });
});
