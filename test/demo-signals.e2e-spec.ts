import { freePort, runServerProcess, type ServerProcessRun } from '#test/server-process';

/** Enough rows that each source's import takes a while: the signal comes during the first. */
const ROWS = '600000';
const SOURCES = 6;

/** Runs `entry` until it exits, sending `signal` once the first demo source's import begins. */
async function signalledWhileSeeding(
  signal: NodeJS.Signals,
  env: Record<string, string>,
  entry?: { file: string; args: string[] },
): Promise<ServerProcessRun & { signalled: boolean }> {
  let signalled = false;
  const run = await runServerProcess(
    { SHUTDOWN_GRACE_MS: '600000', ...env },
    (log, child) => {
      if (signalled || !log.includes('demo rows of')) return;
      signalled = true;
      child.kill(signal);
    },
    entry,
  );
  return { ...run, signalled };
}

/** The sources whose import began. */
const importsBegun = (log: string) => log.match(/Importing \d+ demo rows of/g)?.length ?? 0;

/** Closed, not killed: the PGlite folder's lock is removed and DuckDB checkpointed its log. */
function expectClosed(run: ServerProcessRun) {
  expect(run.left).not.toContain('pglite.lock');
  expect(run.left).not.toContain('warehouse.duckdb.wal');
}

describe('a signal while `npm run demo` seeds', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'on %s stops at the next batch, closes the engines and exits %i',
    async (signal, code) => {
      const run = await signalledWhileSeeding(
        signal,
        {},
        { file: 'apps/api/src/demo/main.ts', args: ['--rows', ROWS] },
      );
      expect(run.signalled).toBe(true);
      // Always the signal's status, never 0 (the close won the race) or 1 (the seeding's failure did).
      expect({ code: run.code, signal: run.signal }).toEqual({ code, signal: null });
      expect(importsBegun(run.log)).toBeLessThan(SOURCES);
      expect(run.log).not.toContain('seeded in');
      expect(run.log).not.toContain('Demo failed');
      expectClosed(run);
    },
    240_000,
  );
});

describe('a signal while a DEMO_DATA start seeds', () => {
  it('stops the seeding at its next batch, never listens, and exits 0 like every signalled start', async () => {
    const run = await signalledWhileSeeding('SIGTERM', {
      DEMO_DATA: 'true',
      DEMO_ROWS: ROWS,
      PORT: String(await freePort()),
    });
    expect(run.signalled).toBe(true);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.log).toContain('SIGTERM during start-up: not serving');
    expect(run.log).toContain('Demo seeding stopped by a signal');
    // Not waited for whole: the sources after the one stopped are not imported.
    expect(importsBegun(run.log)).toBeLessThan(SOURCES);
    expect(run.log).not.toContain('Demo organization ready');
    expect(run.log).not.toContain('Server listening');
    expectClosed(run);
  }, 240_000);
});
