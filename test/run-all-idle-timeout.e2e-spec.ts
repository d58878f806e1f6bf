import type { AddressInfo } from 'node:net';
import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';
import { started } from '#test/fake-pipeline-service';
import { anOrgWithKey, integrationCredentials } from '#test/org-factory';
import { startAppWithPipelineService, type PipelineServiceApp } from '#test/pipeline-service-app';
import { rootHeaders } from '#test/test-app';

// A run-all over many orgs calls the pipeline service for longer than the connection idle timeout
// while the caller, its request sent, waits in silence: that timeout is for a client that stops
// sending, not for a server still at work.
describe('admin run-all longer than CONNECTION_IDLE_TIMEOUT_MS', () => {
  let s: PipelineServiceApp;

  beforeAll(async () => {
    s = await startAppWithPipelineService(
      { retryDelaysMs: [20], breaker: { volumeThreshold: 10_000 } },
      { CONNECTION_IDLE_TIMEOUT_MS: '1000' },
    );
    await s.t.app.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);
  afterAll(() => s.close());

  it('answers its results over a real connection', async () => {
    const { org } = await anOrgWithKey(s.warehouse, { isActive: false });
    await s.t.app.get(ApiKeyService).issue(org);
    const providers = ['GCP_SA', 'AWS_IAM', 'AZURE', 'OCI', 'OPENAI', 'ANTHROPIC'];
    await integrationCredentials(s.warehouse, org, providers);
    // One org's pipelines go one after another: six of 400 ms each, 2.4 s of silence in all.
    s.fake.handle((req) => ({ ...started(req), delayMs: 400 }));
    const { port } = s.t.app.getHttpServer().address() as AddressInfo;

    const res = await fetch(`http://127.0.0.1:${port}/api/v1/admin/pipelines/run-all`, {
      method: 'POST',
      headers: { ...rootHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ org_slug: org }),
    });

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ pipelines_triggered: providers.length, pipelines_failed: 0 });
  }, 60_000);
});
