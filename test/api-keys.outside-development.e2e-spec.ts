import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { DEPLOYED_URLS } from '../libs/platform/src/config/testing/config-problems.js';

// Moved from api-keys.e2e-spec.ts (past 350 lines) when staging's start came to need CORS_ORIGINS and a LOG_LEVEL.
describe('the dev key route outside development', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      ENVIRONMENT: 'staging',
      ALLOW_EMBEDDED_ENGINES: 'true',
      // Required in staging; the start does not check it (production's does).
      KMS_KEY_NAME: 'projects/p/locations/global/keyRings/r/cryptoKeys/k',
      KMS_API_ENDPOINT: 'http://127.0.0.1:9',
      ...DEPLOYED_URLS,
      // The test app's own, silent, is refused in staging.
      LOG_LEVEL: 'error',
    });
  });
  afterAll(() => t.close());

  it('answers 403 DEV_ONLY in staging, even for an org with a key', async () => {
    const k = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/organizations/${k.org}/api-key/rotate`,
      headers: rootHeaders,
    });
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/dev/api-key/${k.org}`,
      headers: rootHeaders,
    });
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 403, code: 'DEV_ONLY' });
    expect(res.body).not.toContain(`${k.org}_api_`);
  });
});
