import net from 'node:net';
import { freePort, runServerProcess } from '#test/server-process';

describe('a server whose port is taken', () => {
  it('closes the engines it opened before exiting 1 with the reason', async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '0.0.0.0', resolve));
    try {
      const run = await runServerProcess({ PORT: String(port) });
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 1, signal: null });
      // The settings named, with the reason under them.
      expect(run.log).toContain(
        `Fatal error at start: Cannot listen on 0.0.0.0:${port} (HOST, PORT)\n` +
          `  caused by: listen EADDRINUSE: address already in use 0.0.0.0:${port}`,
      );
      // Closed, not dropped by process.exit: the bootstrap's writes are checkpointed out of DuckDB's
      // log and the PGlite folder shut down (its lock removed).
      expect(run.left).toContain('warehouse.duckdb');
      expect(run.left).not.toContain('warehouse.duckdb.wal');
      expect(run.left).not.toContain('pglite.lock');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 180_000);
});
