import { afterAll, beforeAll, expect } from 'vitest';
import { anOrgSlug } from './org-factory.js';
import { NO_LIMITS, orgHarness } from './org-onboarding.js';
import { LogCapture } from './log-capture.js';
import { startTestApp, type TestApp } from './test-app.js';

/**
 * Registers, in the calling describe block, the app the offboarding suites drive, started before
 * its tests and closed after them: one engine only, with the info-level log captured in `logs` (the
 * audit line of an offboarding is asserted). `t` is a getter, read inside tests; `h` is the
 * organization suites' harness on it.
 */
export function offboardingApp() {
  let app: TestApp | undefined;
  const logs = new LogCapture();
  beforeAll(async () => {
    app = await startTestApp({ ...NO_LIMITS, LOG_LEVEL: 'info' }, { logDestination: logs });
  });
  afterAll(() => app?.close());
  const started = (): TestApp => {
    if (!app) throw new Error('the offboarding app is not started');
    return app;
  };

  const h = orgHarness(started);
  return {
    logs,
    h,
    get t() {
      return started();
    },
    // Its own onboarding: the Idempotency-Key leaves a tenancy row the offboarding must remove too.
    async onboard(org = anOrgSlug('off')) {
      const res = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        { org_slug: org, company_name: 'Offboard Test Co', admin_email: 'owner@example.com' },
        { 'idempotency-key': `onboard-${org}` },
      );
      expect(res.statusCode, res.body).toBe(200);
      return { org, key: res.json().api_key as string };
    },
    offboard: (org: string, body: object) => h.root('DELETE', `/api/v1/organizations/${org}`, body),
  };
}
