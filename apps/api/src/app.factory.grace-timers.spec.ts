import { createHook } from 'node:async_hooks';
import { ShutdownState } from '#platform';
import { startTestApp } from '#test/test-app';

/**
 * The timers ShutdownState.nearGraceEnd arms when a shutdown begins (the tenancy DB's cut, the
 * pipeline service's calls, the imports' wait): they were never cleared, so each fired ~7 s after
 * app.close() had returned, at engines long closed, in a process that went on.
 */
describe('the shutdown grace timers of an app that closes', () => {
  it('are all cleared once app.close() resolves', async () => {
    const t = await startTestApp();
    const state = t.app.get(ShutdownState);
    // The timers armed as the shutdown begins (within begin(), by its signal's listeners), and those since cleared.
    const armed = new Set<number>();
    const cleared = new Set<number>();
    let beginning = false;
    const hook = createHook({
      init: (id, type) => beginning && type === 'Timeout' && armed.add(id),
      destroy: (id) => cleared.add(id),
    }).enable();
    const begin = state.begin.bind(state);
    vi.spyOn(state, 'begin').mockImplementation(() => {
      beginning = true;
      try {
        begin();
      } finally {
        beginning = false;
      }
    });
    try {
      await t.close();
      // A cleared timer's destroy hook runs after the current turn.
      await new Promise((resolve) => setImmediate(resolve));
      expect(state.shuttingDown).toBe(true);
      // The engines', the pipeline service client's, the imports' and the API key usage flush's.
      expect(armed.size).toBe(4);
      expect([...armed].filter((id) => !cleared.has(id))).toEqual([]);
    } finally {
      hook.disable();
      vi.restoreAllMocks();
    }
  });
});
