import { EventEmitter } from 'node:events';
import type { INestApplication } from '@nestjs/common';
import { startTestApp } from '#test/test-app';
import { until } from '#test/waiting';
import { closeOnSignals, type ShutdownSignalsOptions } from './shutdown-signals.js';

/** closeOnSignals given the app still starting, on a stand-in for the process's signals and exit. */
function onSignalsWhileStarting(
  starting: Promise<INestApplication>,
  options: Partial<ShutdownSignalsOptions> = {},
) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const shutdown = closeOnSignals(starting, {
    graceMs: 60_000,
    signals,
    exit: (code) => exits.push(code),
    ...options,
  });
  return { signals, exits, shutdown };
}

describe('closeOnSignals during start-up', () => {
  it('says to stop serving, closes the app once it is open, then exits 0', async () => {
    const starting = startTestApp();
    const { signals, exits, shutdown } = onSignalsWhileStarting(starting.then((t) => t.app));
    expect(shutdown.stopping).toBe(false);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(shutdown.stopping).toBe(true);
    const t = await starting;
    await until(() => exits.length > 0, 30_000);
    expect(exits).toEqual([0]);
    // Closed: the app no longer answers.
    await expect(t.app.inject({ method: 'GET', url: '/health' })).rejects.toThrow();
  });

  it('tells the start at the first signal (onStop), so that what it is doing stops early', async () => {
    const stops: string[] = [];
    let open: (app: INestApplication) => void = () => undefined;
    const starting = new Promise<INestApplication>((resolve) => (open = resolve));
    const { signals, exits } = onSignalsWhileStarting(starting, { onStop: (signal) => stops.push(signal) });
    signals.emit('SIGTERM', 'SIGTERM');
    // At once, while the start still runs: the DEMO_DATA seeding is not waited for whole.
    expect(stops).toEqual(['SIGTERM']);
    signals.emit('SIGINT', 'SIGINT');
    expect(stops).toEqual(['SIGTERM']);
    expect(exits).toEqual([1]);
    open({ close: () => Promise.resolve() } as INestApplication);
  });

  it('leaves a start that fails after the signal to its own report (no exit of its own)', async () => {
    let fail: (err: Error) => void = () => undefined;
    const starting = new Promise<INestApplication>((_resolve, reject) => (fail = reject));
    const { signals, exits } = onSignalsWhileStarting(starting);
    signals.emit('SIGINT', 'SIGINT');
    fail(new Error('the tenancy database is unavailable'));
    await starting.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([]);
  });
});
