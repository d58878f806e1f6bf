import { freePort, runServerProcess } from '#test/server-process';

describe('a signal while the server starts', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s closes the engines once open, never listens, and exits 0 saying so',
    async (signal) => {
      let signalled = false;
      // Sent once the embedded warehouse is open (the local encryption key is made right after),
      // with a grace that outlasts the start: a first start's PGlite initdb and migrations take
      // longer than Cloud Run's 10 s on a loaded machine.
      const run = await runServerProcess(
        { PORT: String(await freePort()), SHUTDOWN_GRACE_MS: '600000' },
        (log, child) => {
          if (signalled || !log.includes('Created the local encryption key')) return;
          signalled = true;
          child.kill(signal);
        },
      );
      expect(signalled).toBe(true);
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
      expect(run.log).toContain(`${signal} during start-up: not serving`);
      expect(run.log).not.toContain('Server listening');
      // Closed, not killed: the PGlite folder's lock is removed and DuckDB checkpointed its log.
      expect(run.left).not.toContain('pglite.lock');
      expect(run.left).not.toContain('warehouse.duckdb.wal');
    },
    180_000,
  );
});
