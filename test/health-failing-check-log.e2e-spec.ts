import { WAREHOUSE, type Warehouse } from '#warehouse';
import { LogCapture } from '#test/log-capture';
import { startTestApp } from '#test/test-app';
import { READINESS_REUSE_MS } from '../apps/api/src/health/health.service.js';

const nextReadiness = () => new Promise((resolve) => setTimeout(resolve, READINESS_REUSE_MS + 50));

describe('readiness failing at the default log level', () => {
  it('logs why a deciding check fails, once until it recovers, without the secrets in the reason', async () => {
    const logs = new LogCapture();
    const t = await startTestApp({ LOG_LEVEL: 'info' }, { logDestination: logs });
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      const ping = warehouse.ping.bind(warehouse);
      warehouse.ping = () =>
        Promise.reject(new Error('connect ECONNREFUSED via https://svc:s3cr3t-pw@10.9.8.7/bigquery'));
      const probe = () => t.app.inject({ method: 'GET', url: '/health/ready' });
      const failing = await probe();
      expect(failing.statusCode).toBe(503);
      // The body names the check only (no connection details); the log says why.
      expect(failing.json().checks.warehouse).toMatchObject({ status: 'failing', error: 'unavailable' });
      const lines = () =>
        logs.lines
          .map((l) => JSON.parse(l) as { level: string; context?: string; message: string })
          .filter((l) => l.context === 'Readiness');
      expect(lines()).toEqual([
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(/^Readiness check warehouse failing: connect ECONNREFUSED/),
        }),
      ]);
      expect(logs.text).not.toContain('s3cr3t-pw');
      // The probes that follow while it still fails add no line (an orchestrator polls every few seconds).
      await nextReadiness();
      expect((await probe()).statusCode).toBe(503);
      expect(lines()).toHaveLength(1);
      warehouse.ping = ping;
      await nextReadiness();
      expect((await probe()).statusCode).toBe(200);
      expect(lines()).toHaveLength(2);
      expect(lines()[1]).toMatchObject({ level: 'info', message: 'Readiness check warehouse answers again' });
    } finally {
      await t.close();
    }
  });
});
