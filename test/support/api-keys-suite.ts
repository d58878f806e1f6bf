import { afterAll, beforeAll, expect } from 'vitest';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from './org-factory.js';
import { LogCapture } from './log-capture.js';
import { NO_RATE_LIMITS, rootHeaders, sha256, startTestApp, type TestApp } from './test-app.js';

/**
 * Registers, in the calling describe block, the app the org API key suites drive (every log line,
 * debug and up, kept in `logs`; the named limits out of the way), started before its tests and
 * closed after them. `t` and `warehouse` are getters, read inside tests. Every plaintext key the
 * API hands out through `rotate` or `create` is kept in `issued`; closing the app reads its whole
 * log for them, as the one suite these came from read the lines of every test before its last.
 */
export function apiKeysApp() {
  let app: TestApp | undefined;
  const logs = new LogCapture();
  const issued: string[] = [];
  const started = (): TestApp => {
    if (!app) throw new Error('the API keys app is not started');
    return app;
  };
  beforeAll(async () => {
    app = await startTestApp({ ...NO_RATE_LIMITS, LOG_LEVEL: 'debug' }, { logDestination: logs });
  });
  afterAll(async () => {
    await app?.close();
    for (const key of issued) expect(logs.lines.filter((line) => line.includes(key))).toEqual([]);
  });

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => started().app.inject(opts);
  const warehouse = () => started().app.get<Warehouse>(WAREHOUSE);
  return {
    logs,
    issued,
    get t() {
      return started();
    },
    get warehouse() {
      return warehouse();
    },
    inject,
    probe: (org: string, key: string) =>
      inject({ method: 'GET', url: `/api/v1/organizations/${org}/api-key`, headers: { 'x-api-key': key } }),
    /** An active org whose only key was revoked through the API. */
    async anOrgWithoutKey() {
      const k = await anOrgWithKey(warehouse());
      const revoked = await inject({
        method: 'DELETE',
        url: `/api/v1/admin/api-keys/${sha256(k.key)}`,
        headers: rootHeaders,
      });
      expect(revoked.statusCode).toBe(200);
      return k;
    },
    async rotate(org: string, headers: Record<string, string>, payload?: object) {
      const res = await inject({
        method: 'POST',
        url: `/api/v1/organizations/${org}/api-key/rotate`,
        headers,
        ...(payload ? { payload } : {}),
      });
      if (res.statusCode === 200) issued.push(res.json().api_key);
      return res;
    },
    async create(payload: object) {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/admin/api-keys',
        headers: rootHeaders,
        payload,
      });
      if (res.statusCode === 200) issued.push(res.json().api_key);
      return res;
    },
  };
}
