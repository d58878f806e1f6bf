import { EventEmitter } from 'node:events';
import { ProbeModule } from '#test/probe.module';
import { startTestApp, type TestApp } from '#test/test-app';
import { until } from '#test/waiting';
import { closeOnSignals, signalExitCode } from './shutdown-signals.js';

/** The real app listening, closeOnSignals on a stand-in for the process: its signals, its exit. */
async function appOnSignals(graceMs: number) {
  const t: TestApp = await startTestApp({}, { imports: [ProbeModule] });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const url = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  const signals = new EventEmitter();
  const exits: number[] = [];
  closeOnSignals(t.app, { graceMs, signals, exit: (code) => exits.push(code) });
  return { t, url, signals, exits };
}

describe('closeOnSignals', () => {
  it('on SIGTERM answers the request in flight, closes the app, then exits 0 (not 143)', async () => {
    const { t, url, signals, exits } = await appOnSignals(5_000);
    const inFlight = fetch(`${url}/api/v1/probe/slow?ms=300`);
    await new Promise((r) => setTimeout(r, 100));
    signals.emit('SIGTERM', 'SIGTERM');
    expect((await inFlight).status).toBe(200);
    await until(() => exits.length > 0);
    expect(exits).toEqual([0]);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await t.close();
  });

  it('exits 1 when closing outlives the grace, without waiting for the request', async () => {
    const { t, url, signals, exits } = await appOnSignals(200);
    const inFlight = fetch(`${url}/api/v1/probe/slow?ms=1500`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    signals.emit('SIGINT', 'SIGINT');
    await until(() => exits.length > 0);
    expect(exits).toEqual([1]);
    expect(Date.now() - started).toBeLessThan(1_200);
    await inFlight;
    await t.close();
    // The close that finished late does not exit a second time.
    expect(exits).toEqual([1]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    "exits with closedExitCode's status after a clean close on %s (%i: signalExitCode)",
    async (signal, code) => {
      const t = await startTestApp();
      const signals = new EventEmitter();
      const exits: number[] = [];
      closeOnSignals(t.app, {
        graceMs: 5_000,
        signals,
        exit: (c) => exits.push(c),
        closedExitCode: signalExitCode,
      });
      signals.emit(signal, signal);
      await until(() => exits.length > 0);
      expect(exits).toEqual([code]);
      await expect(t.app.inject({ method: 'GET', url: '/health' })).rejects.toThrow();
    },
  );

  it('exits 1 at once at a second signal', async () => {
    const { t, url, signals, exits } = await appOnSignals(5_000);
    const inFlight = fetch(`${url}/api/v1/probe/slow?ms=800`);
    await new Promise((r) => setTimeout(r, 100));
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([1]);
    await inFlight;
    await t.close();
  });
});
