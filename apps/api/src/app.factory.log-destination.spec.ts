import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { bufferedDestination } from '#platform';
import { startTestApp } from '#test/test-app';

const SHUTDOWN_LINE = 'last line of the shutdown';

/** Logs a line as the app shuts down, after its server has closed (as the engines' close does). */
@Module({})
class LastWordsModule implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    new Logger('LastWords').log(SHUTDOWN_LINE);
  }
}

/**
 * The app's buffered log destination at close: its periodic flush (an interval) went on after
 * app.close(), one for every app a test worker had closed, and the lines still buffered waited for
 * it (or for the process's exit, which a grace run out does not give).
 */
describe('the buffered log destination of an app that closes', () => {
  it('has written every line, the shutdown’s included, and keeps no timer, once app.close() resolves', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-app-log-'));
    const file = path.join(dir, 'app.log');
    // The timers the destination arms (made while it is created), and those since cleared.
    const armed = new Set<number>();
    const cleared = new Set<number>();
    let creating = true;
    const hook = createHook({
      init: (id, type) => creating && type === 'Timeout' && armed.add(id),
      destroy: (id) => cleared.add(id),
    }).enable();
    const dest = bufferedDestination(file);
    creating = false;
    try {
      expect(armed.size).toBe(1);
      await once(dest, 'ready');
      const t = await startTestApp(
        { LOG_LEVEL: 'info' },
        { logDestination: dest, imports: [LastWordsModule] },
      );
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/no-such-route',
        headers: { 'x-request-id': 'buffered-1' },
      });
      expect(res.statusCode).toBe(404);
      await t.close();

      const lines = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { message?: string; request_id?: string });
      expect(lines.some((l) => l.request_id === 'buffered-1')).toBe(true);
      expect(lines.at(-1)?.message).toBe(SHUTDOWN_LINE);
      expect([...armed].filter((id) => !cleared.has(id))).toEqual([]);
      // Closed, it still writes, at once: nothing waits for a timer that is gone.
      new Logger('After').log('after close');
      expect(fs.readFileSync(file, 'utf8')).toContain('after close');
    } finally {
      hook.disable();
      dest.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
