import perfHooks from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import { HttpMetrics } from './http-metrics.js';

describe('HttpMetrics', () => {
  it('counts and times each (method, route, status) in its own series, call after call', async () => {
    const metrics = new HttpMetrics();
    metrics.observe('GET', '/api/v1/costs/:org/summary', 200, 0.002);
    metrics.observe('GET', '/api/v1/costs/:org/summary', 200, 0.02);
    metrics.observe('GET', '/api/v1/costs/:org/summary', 429, 0.0005);
    metrics.observe('POST', '/api/v1/costs/:org/summary', 200, 3);
    const text = await metrics.render();
    const series = (name: string, labels: string) =>
      new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1];
    const summary200 = 'method="GET",route="/api/v1/costs/:org/summary",status="200"';
    expect(series('http_requests_total', summary200)).toBe('2');
    expect(series('http_request_duration_seconds_count', summary200)).toBe('2');
    expect(Number(series('http_request_duration_seconds_sum', summary200))).toBeCloseTo(0.022, 9);
    expect(series('http_request_duration_seconds_bucket', `le="0.005",${summary200}`)).toBe('1');
    expect(series('http_request_duration_seconds_bucket', `le="0.025",${summary200}`)).toBe('2');
    expect(
      series('http_requests_total', 'method="GET",route="/api/v1/costs/:org/summary",status="429"'),
    ).toBe('1');
    expect(
      series('http_requests_total', 'method="POST",route="/api/v1/costs/:org/summary",status="200"'),
    ).toBe('1');
  });

  it('collects the process metrics once per process, however many apps it starts', async () => {
    // Each collection of prom-client's defaults starts an event-loop delay monitor it never stops.
    const monitors = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    try {
      const apps = [new HttpMetrics(), new HttpMetrics(), new HttpMetrics()];
      expect(monitors.mock.calls.length).toBeLessThanOrEqual(1);
      for (const app of apps) {
        app.observe('GET', '/health', 200, 0.001);
        const text = await app.render();
        expect(text.match(/^# TYPE finops_api_process_cpu_user_seconds_total /gm)).toHaveLength(1);
        expect(text.match(/^# TYPE finops_api_nodejs_eventloop_lag_seconds /gm)).toHaveLength(1);
        expect(text).toMatch(/^http_requests_total\{method="GET",route="\/health",status="200"\} 1$/m);
      }
    } finally {
      monitors.mockRestore();
    }
  });
});
