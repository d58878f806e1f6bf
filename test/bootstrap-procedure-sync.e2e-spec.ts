import { FakePipelineService } from '#test/fake-pipeline-service';
import { rootHeaders, startTestApp, TEST_ROOT_KEY } from '#test/test-app';

/**
 * After a bootstrap the API asks the pipeline service to refresh its stored procedures, sending
 * the platform's root key: only to the service PIPELINE_SERVICE_URL names, at the path the pipeline
 * proxy uses too (below the URL's own path).
 */
describe('the procedure sync a bootstrap sends the pipeline service', () => {
  let service: FakePipelineService;
  let elsewhere: FakePipelineService;
  beforeAll(async () => {
    service = await FakePipelineService.start();
    elsewhere = await FakePipelineService.start();
  });
  afterAll(async () => {
    await service.close();
    await elsewhere.close();
  });
  afterEach(() => {
    service.reset();
    elsewhere.reset();
  });

  const bootstrap = async (serviceUrl: string) => {
    const t = await startTestApp({ BOOTSTRAP_ON_START: 'false', PIPELINE_SERVICE_URL: serviceUrl });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: rootHeaders,
        payload: {},
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ warnings: string[] }>();
    } finally {
      await t.close();
    }
  };

  it('goes below the path of PIPELINE_SERVICE_URL, as the pipeline runs do', async () => {
    service.always({ status: 200, body: { status: 'ok' } });
    const answer = await bootstrap(`${service.url}/pipeline-service`);
    expect(service.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/pipeline-service/api/v1/procedures/sync'],
    ]);
    expect(service.requests[0]!.json).toEqual({ force: true });
    expect(answer.warnings).toEqual([]);
  });

  it('does not follow a redirect, which would hand the root key to another server', async () => {
    // An identity-aware proxy or a login gateway in front of the service answers with a redirect
    // to its sign-in page: the root key must not go there.
    elsewhere.always({ status: 200, body: {} });
    service.always({ status: 307, headers: { Location: `${elsewhere.url}/sign-in` } });
    const answer = await bootstrap(service.url);
    expect(service.requests).toHaveLength(1);
    expect(service.requests[0]!.headers['x-ca-root-key']).toBe(TEST_ROOT_KEY);
    expect(elsewhere.requests).toEqual([]);
    expect(answer.warnings).toEqual(['Pipeline service procedure sync answered 307']);
  });
});
