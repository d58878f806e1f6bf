import { randomUUID } from 'node:crypto';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { LogCapture } from '#test/log-capture';
import { startTestApp, type TestApp } from '#test/test-app';
import { DEMO_ORG, DemoInterrupted, DemoService } from '../apps/api/src/demo/demo.service.js';

const ROWS = 600;
const END = '2025-06-30';

let t: TestApp;
let logs: LogCapture;
let db: TenancyDb;

beforeEach(async () => {
  logs = new LogCapture();
  t = await startTestApp({ LOG_LEVEL: 'info' }, { logDestination: logs });
  db = t.app.get<TenancyDb>(TENANCY_DB);
}, 120_000);
afterEach(() => t?.close());

/** The org's lifecycle lease, as a start killed while it onboarded the demo left it. */
async function leaseLeftByCrashedStart(ttlSeconds: number): Promise<void> {
  const [claim] = await db.rpc<{ claimed: boolean }>('claim_org_lease', {
    p_org_slug: DEMO_ORG,
    p_operation: 'lifecycle',
    p_holder: randomUUID(),
    p_ttl_seconds: ttlSeconds,
  });
  expect(claim.claimed).toBe(true);
}

const onboardLines = () =>
  logs.lines
    .map(
      (l) => JSON.parse(l) as { message?: string; route?: string; status?: number; client_aborted?: boolean },
    )
    .filter((l) => l.message === 'request completed' && l.route === '/api/v1/organizations/onboard');

describe('a DEMO_DATA seeding while another holder has the demo org', () => {
  it('waits out a crashed start’s lifecycle lease, then onboards and seeds', async () => {
    await leaseLeftByCrashedStart(3);
    const began = Date.now();
    const demo = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, keepExisting: true });
    expect(demo.rows).toBe(ROWS);
    expect(Date.now() - began).toBeGreaterThanOrEqual(2_000);
    expect(logs.text).toContain('ONBOARDING_IN_PROGRESS');
    // Each onboarding request logged once: 409s then the 200.
    const lines = onboardLines();
    expect(lines.filter((l) => l.client_aborted)).toEqual([]);
    expect(lines.at(-1)?.status).toBe(200);
  }, 60_000);

  it('waits out a crashed writer’s write lease (ORG_CHANGES_IN_PROGRESS), then onboards', async () => {
    const [claim] = await db.rpc<{ claimed: boolean }>('claim_org_write_lease', {
      p_org_slug: DEMO_ORG,
      p_holder: randomUUID(),
      p_ttl_seconds: 12,
    });
    expect(claim.claimed).toBe(true);
    const demo = await t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, keepExisting: true });
    expect(demo.rows).toBe(ROWS);
    expect(logs.text).toContain('ORG_CHANGES_IN_PROGRESS');
  }, 60_000);

  it('stops waiting promptly on its stop signal', async () => {
    await leaseLeftByCrashedStart(60);
    const stop = new AbortController();
    const seeding = t.app.get(DemoService).ensureDemo({ rows: ROWS, end: END, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 300));
    const aborted = Date.now();
    stop.abort();
    await expect(seeding).rejects.toBeInstanceOf(DemoInterrupted);
    expect(Date.now() - aborted).toBeLessThan(1_000);
  }, 60_000);
});
