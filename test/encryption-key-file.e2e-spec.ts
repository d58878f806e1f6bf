import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogCapture } from '#test/log-capture';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/**
 * The local key file encrypts the stored copies of org API keys and provider credentials (kept in
 * the warehouse). Starts that share one warehouse file and one key file, as restarts on DATA_DIR do.
 */
describe('a start whose local encryption key file is missing', () => {
  let dir: string;
  let keyFile: string;
  let env: Record<string, string>;
  const started: TestApp[] = [];
  const start = async (extra: Record<string, string> = {}, logs?: LogCapture) => {
    const t = await startTestApp(
      { ...env, ...extra, ...(logs ? { LOG_LEVEL: 'info' } : {}) },
      logs ? { logDestination: logs } : {},
    );
    started.push(t);
    return t;
  };
  const ready = async (t: TestApp) =>
    (await t.app.inject({ method: 'GET', url: '/health/ready' })).json<{
      checks: { encryption: { status: string; error?: string } };
    }>().checks.encryption;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-keyfile-'));
    keyFile = path.join(dir, 'encryption.key');
    env = { DUCKDB_PATH: path.join(dir, 'warehouse.duckdb'), ENCRYPTION_KEY_FILE: keyFile };
  });
  afterEach(async () => {
    for (const t of started.splice(0)) await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates one on a fresh start and logs where it is', async () => {
    const logs = new LogCapture();
    const t = await start({}, logs);
    expect(fs.existsSync(keyFile)).toBe(true);
    expect(logs.text).toMatch(
      new RegExp(`Created the local encryption key \\(id [0-9a-f]{8}\\) in ${keyFile}`),
    );
    expect(await ready(t)).toMatchObject({ status: 'ok' });
  });

  it('refuses to start when stored values were encrypted with it, naming the file and what to do', async () => {
    const first = await start();
    await onboardOrg(first, 'keyfile', 'Key File Co');
    await first.close();
    fs.rmSync(keyFile);

    await expect(start()).rejects.toThrow(
      new RegExp(
        `ENCRYPTION_KEY_FILE: ${keyFile} is missing, but the warehouse holds 1 value under local key ` +
          '[0-9a-f]{8} .*Restore the file .* ALLOW_NEW_ENCRYPTION_KEY=true',
      ),
    );
    // Nothing was written: the next start, with the file restored, still finds the values readable.
    expect(fs.existsSync(keyFile)).toBe(false);
  });

  // Two or three starts of the app each: 15 s on an idle machine, over the default 30 s under load.
  it('starts with a new key when ALLOW_NEW_ENCRYPTION_KEY is set, and readiness names the old values', async () => {
    const first = await start();
    const { org } = await onboardOrg(first, 'keyfile', 'Key File Co');
    await first.close();
    fs.rmSync(keyFile);

    const logs = new LogCapture();
    const t = await start({ ALLOW_NEW_ENCRYPTION_KEY: 'true' }, logs);
    expect(logs.text).toContain(`${keyFile} is missing; starting with a new key (ALLOW_NEW_ENCRYPTION_KEY)`);
    expect(logs.text).toContain(`in ${keyFile}`);
    expect(await ready(t)).toEqual({
      status: 'failing',
      latency_ms: expect.any(Number),
      error: 'stored values use another key',
    });
    const reveal = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/dev/api-key/${org}`,
      headers: rootHeaders,
    });
    expect(reveal.json()).toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });

    // Re-issuing the key leaves no value in use under the lost key.
    const regenerated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${org}/regenerate-api-key`,
      headers: rootHeaders,
    });
    expect(regenerated.statusCode, regenerated.body).toBe(200);
    await t.close();
    started.pop();
    expect(await ready(await start())).toMatchObject({ status: 'ok' });
  }, 90_000);

  it('re-syncs an org whose stored key copy the new key cannot read: a new key beside the old one', async () => {
    const first = await start();
    const { org, key } = await onboardOrg(first, 'keyfile', 'Key File Co');
    await first.close();
    fs.rmSync(keyFile);

    const t = await start({ ALLOW_NEW_ENCRYPTION_KEY: 'true' });
    // What an onboarding that stopped half-way is finished by, and DEMO_DATA starts re-sync with.
    const resync = await t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations/onboard',
      headers: rootHeaders,
      payload: {
        org_slug: org,
        company_name: 'Key File Co',
        admin_email: 'admin@keyfile.example',
        regenerate_api_key_if_exists: true,
      },
    });

    expect(resync.statusCode, resync.body).toBe(200);
    const issued = resync.json<{ api_key: string }>().api_key;
    expect(issued).not.toBe(key);
    for (const apiKey of [key, issued]) {
      const read = await t.app.inject({
        method: 'GET',
        url: `/api/v1/organizations/${org}/api-key`,
        headers: { 'x-api-key': apiKey },
      });
      expect(read.statusCode, read.body).toBe(200);
    }
  }, 90_000);
});
