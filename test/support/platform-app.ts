import { expect } from 'vitest';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { LogCapture } from './log-capture.js';
import { PROBE_SECRET_IN_ERROR, ProbeModule } from './probe.module.js';
import { startTestApp, TEST_ROOT_KEY, type TestApp } from './test-app.js';

export const PROBLEM = 'application/problem+json; charset=utf-8';

/** An app of its own (with the probe routes) whose addresses get two failed authentications a minute. */
export const startTwoGuessApp = () =>
  startTestApp(
    { AUTH_FAILURES_PER_MINUTE: '2', RATE_LIMIT_ADMIN_PER_MINUTE: '1000' },
    { imports: [ProbeModule] },
  );

/**
 * The app the platform suites drive: the probe routes, every log line (debug and up) kept in `logs`,
 * admin limits out of the way. A suite calls `start` in `beforeAll` and `close` in `afterAll`; `app`
 * and `warehouse` are getters, as the app starts after the suite's tests are collected.
 */
export function platformApp() {
  let t: TestApp | undefined;
  const logs = new LogCapture();
  const started = (): TestApp => {
    if (!t) throw new Error('the platform app is not started');
    return t;
  };
  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => started().app.inject(opts);
  return {
    logs,
    get app() {
      return started().app;
    },
    get warehouse() {
      return started().app.get<Warehouse>(WAREHOUSE);
    },
    inject,
    /** A POST of raw text (as JSON unless told) to the probe's echo route (no body when undefined). */
    echoJson: (payload?: string, contentType = 'application/json') =>
      inject({
        method: 'POST',
        url: '/api/v1/probe/echo',
        headers: { 'content-type': contentType },
        ...(payload === undefined ? {} : { payload }),
      }),
    async start() {
      t = await startTestApp(
        { LOG_LEVEL: 'debug', RATE_LIMIT_ADMIN_PER_MINUTE: '1000' },
        { imports: [ProbeModule], logDestination: logs },
      );
    },
    /**
     * Closes the app, then reads its whole log for the root key and the probe's secret: the suites
     * were one app whose "never a key" test read the lines of every test before it.
     */
    async close() {
      await t?.close();
      for (const secret of [TEST_ROOT_KEY, PROBE_SECRET_IN_ERROR])
        expect(logs.lines.filter((line) => line.includes(secret))).toEqual([]);
    },
  };
}
