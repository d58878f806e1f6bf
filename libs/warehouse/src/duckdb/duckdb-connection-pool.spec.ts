import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbConnectionPool, type Lane } from './duckdb-connection-pool.js';

/** A pool of `size` connections on an in-memory DuckDB, and work that holds its connection until let go. */
async function poolOf(size: number) {
  const instance = await DuckDBInstance.create(':memory:');
  const pool = await DuckDbConnectionPool.create(instance, size, async () => undefined);
  const started: string[] = [];
  const hold = (name: string, lane: Lane) => {
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const done = pool.use(
      async ({ connection }) => {
        started.push(name);
        await connection.run('SELECT 1');
        await held;
      },
      undefined,
      lane,
    );
    return { letGo, done };
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const close = async () => {
    await pool.close();
    instance.closeSync();
  };
  return { pool, hold, started, settle, close };
}

describe('DuckDB connection pool lanes', () => {
  it('keeps a connection for short work while scans hold the others', async () => {
    const p = await poolOf(2);
    try {
      const scanA = p.hold('scan A', 'bulk');
      const scanB = p.hold('scan B', 'bulk');
      await p.settle();
      expect(p.started).toEqual(['scan A']);
      const write = p.hold('write', 'short');
      await p.settle();
      expect(p.started).toEqual(['scan A', 'write']);
      write.letGo();
      await write.done;
      await p.settle();
      // The connection the write gave back stays for short work: one scan at a time on two.
      expect(p.started).toEqual(['scan A', 'write']);
      scanA.letGo();
      await scanA.done;
      await p.settle();
      expect(p.started).toEqual(['scan A', 'write', 'scan B']);
      scanB.letGo();
      await scanB.done;
    } finally {
      await p.close();
    }
  });

  it('gives a freed connection to short work waiting before scans queued earlier', async () => {
    const p = await poolOf(3);
    try {
      const scan = p.hold('scan', 'bulk');
      const first = p.hold('lookup 1', 'short');
      const second = p.hold('lookup 2', 'short');
      await p.settle();
      const queuedScan = p.hold('queued scan', 'bulk');
      const queuedWrite = p.hold('queued write', 'short');
      await p.settle();
      expect(p.started).toEqual(['scan', 'lookup 1', 'lookup 2']);
      first.letGo();
      await first.done;
      await p.settle();
      expect(p.started.slice(3)).toEqual(['queued write']);
      second.letGo();
      await second.done;
      await p.settle();
      expect(p.started.slice(3)).toEqual(['queued write', 'queued scan']);
      for (const w of [scan, queuedScan, queuedWrite]) w.letGo();
      await Promise.all([scan.done, queuedScan.done, queuedWrite.done]);
    } finally {
      await p.close();
    }
  });

  it('refuses work still waiting when it closes', async () => {
    const p = await poolOf(1);
    const running = p.hold('running', 'short');
    await p.settle();
    const waiting = p.hold('waiting', 'bulk');
    const closing = p.close();
    await expect(waiting.done).rejects.toThrow();
    running.letGo();
    await running.done.catch(() => undefined);
    await closing;
  });

  it('gives up a wait for a connection at its timeout, leaving the queue', async () => {
    const p = await poolOf(1);
    const running = p.hold('running', 'short');
    try {
      await p.settle();
      const ran: string[] = [];
      const waited = p.pool.use(async () => void ran.push('late'), 100);
      // Answered at its timeout while the connection is still held (it waited for the release).
      let guard: NodeJS.Timeout | undefined;
      const first = await Promise.race([
        waited.then(
          () => 'ran',
          (err: Error) => err.message,
        ),
        new Promise((resolve) => (guard = setTimeout(() => resolve('still waiting after 3 s'), 3_000))),
      ]);
      clearTimeout(guard);
      expect(first).toMatch(/exceeded its 100 ms timeout/);
      running.letGo();
      await running.done;
      // The connection freed goes to the next work, not to the wait given up.
      expect(await p.pool.use(async () => 'next', 1_000)).toBe('next');
      expect(ran).toEqual([]);
    } finally {
      running.letGo();
      await p.close();
    }
  });
});

/** 'finished', or the code of the error the work failed with. */
const outcomeOf = (work: Promise<unknown>) =>
  work.then(
    () => 'finished',
    (error: { code?: string }) => error.code,
  );

describe('DuckDB connection pool close', () => {
  /** A cross join DuckDB needs minutes for: only an interrupt ends it soon. */
  const ENDLESS = 'SELECT SUM(a.range * b.range * c.range) FROM range(3000) a, range(3000) b, range(3000) c';

  it('stops a statement that started after the close began (an interrupt sent before it is lost)', async () => {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const pool = await DuckDbConnectionPool.create(instance, 2, async () => undefined);
    let reached!: () => void;
    const beforeStatement = new Promise<void>((resolve) => (reached = resolve));
    const work = pool.use(async ({ connection }) => {
      reached();
      // Still in JavaScript when close() interrupts; the statement reaches DuckDB afterwards.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await connection.run(ENDLESS);
    });
    const outcome = outcomeOf(work);
    await beforeStatement;
    await pool.close();
    instance.closeSync();
    expect(await outcome).toBe('WAREHOUSE_UNAVAILABLE');
  }, 20_000);

  it('stops a statement that started after its deadline passed, as at close', async () => {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const pool = await DuckDbConnectionPool.create(instance, 2, async () => undefined);
    try {
      const outcome = await outcomeOf(
        pool.use(async ({ connection }) => {
          // The deadline passes while the work is still in JavaScript.
          await new Promise((resolve) => setTimeout(resolve, 100));
          await connection.run(ENDLESS);
        }, 20),
      );
      expect(outcome).toBe('WAREHOUSE_TIMEOUT');
    } finally {
      await pool.close();
      instance.closeSync();
    }
  }, 20_000);

  it('gives a connection back out of the transaction a timed-out work left open', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const pool = await DuckDbConnectionPool.create(instance, 1, async () => undefined);
    try {
      const timedOut = pool.use(async ({ connection, checkDeadline }) => {
        await connection.run('BEGIN TRANSACTION');
        await new Promise((resolve) => setTimeout(resolve, 60));
        // Its ROLLBACK cut by an interrupt: the transaction stays open.
        checkDeadline();
      }, 20);
      expect(await outcomeOf(timedOut)).toBe('WAREHOUSE_TIMEOUT');
      // The pool's one connection: a transaction of its own starts, as on any other.
      const next = pool.use(async ({ connection }) => {
        await connection.run('BEGIN TRANSACTION');
        await connection.run('COMMIT');
      });
      expect(await outcomeOf(next)).toBe('finished');
    } finally {
      await pool.close();
      instance.closeSync();
    }
  });

  it('runs a work’s afterWork statements when it ends, timed out, failed or not', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const pool = await DuckDbConnectionPool.create(instance, 1, async () => undefined);
    const temps = () =>
      pool.use(async ({ connection }) => {
        const reader = await connection.runAndReadAll(
          `SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE 'kept%'`,
        );
        return Number(reader.getRows()[0]?.[0]);
      });
    try {
      const timedOut = pool.use(async ({ connection, checkDeadline, afterWork }) => {
        afterWork('DROP TABLE IF EXISTS temp.kept_a');
        await connection.run('CREATE TEMP TABLE kept_a AS SELECT 1 AS x');
        await new Promise((resolve) => setTimeout(resolve, 60));
        checkDeadline();
      }, 20);
      expect(await outcomeOf(timedOut)).toBe('WAREHOUSE_TIMEOUT');
      const failed = pool.use(async ({ connection, afterWork }) => {
        afterWork('DROP TABLE IF EXISTS temp.kept_b');
        await connection.run('CREATE TEMP TABLE kept_b AS SELECT 1 AS x');
        throw Object.assign(new Error('boom'), { code: 'BOOM' });
      });
      expect(await outcomeOf(failed)).toBe('BOOM');
      // The pool's one connection, whose temp tables would otherwise live as long as it does.
      expect(await temps()).toBe(0);
    } finally {
      await pool.close();
      instance.closeSync();
    }
  });

  it('ends multi-statement work at its next checkDeadline once closing', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const pool = await DuckDbConnectionPool.create(instance, 2, async () => undefined);
    let statements = 0;
    let reached!: () => void;
    const first = new Promise<void>((resolve) => (reached = resolve));
    const work = pool.use(async ({ connection, checkDeadline }) => {
      for (;;) {
        await connection.run('SELECT 1');
        statements++;
        reached();
        await new Promise((resolve) => setTimeout(resolve, 5));
        checkDeadline();
      }
    });
    const outcome = outcomeOf(work);
    await first;
    await pool.close();
    instance.closeSync();
    expect(await outcome).toBe('WAREHOUSE_UNAVAILABLE');
    expect(statements).toBeLessThan(10);
  });
});
