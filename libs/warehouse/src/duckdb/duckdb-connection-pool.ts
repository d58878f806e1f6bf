import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { closedError, timeoutError } from './duckdb-errors.js';

/** One borrowed connection, for one unit of work. */
export interface Session {
  readonly connection: DuckDBConnection;
  /**
   * Throws WAREHOUSE_TIMEOUT once the deadline has passed, WAREHOUSE_UNAVAILABLE once the pool is
   * closing. An interrupt only stops the statement running at that moment, so multi-statement work
   * calls this between statements.
   */
  checkDeadline(): void;
  /**
   * A statement to run when the work ends, however it ends, once no interrupt can cut it (the
   * work's own cleanup may run while a timed-out statement is interrupted again): the drop of a
   * temp table, which would otherwise live as long as the pooled connection.
   */
  afterWork(sql: string): void;
}

/** How often a connection's statement is interrupted again past its deadline or at close (see close). */
const INTERRUPT_AGAIN_MS = 25;

interface Waiter {
  resolve(connection: DuckDBConnection): void;
  reject(error: Error): void;
}

/**
 * `bulk`: a whole-period scan into a frame (a second or more on a large org); `short`: everything
 * else (writes, key lookups, profiles, readiness).
 */
export type Lane = 'short' | 'bulk';

/**
 * A few connections on one DuckDB instance. DuckDB runs statements of different connections in
 * parallel, but a connection runs one statement at a time, so each unit of work borrows one.
 *
 * Two lanes, so that short work never queues behind scans: bulk work holds at most all
 * connections but one, and a connection freed goes to short work waiting before bulk work. In
 * one queue, an onboarding's or import's statements each waited behind every cost scan queued
 * before it, and so did an org key's first lookup and the readiness check (under 8 concurrent cold
 * readers of a 1M-row org, /health/ready timed out: 503 after 5 s; 200 within 2.6 s with lanes).
 */
export class DuckDbConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly busy = new Set<DuckDBConnection>();
  private readonly waiters: Record<Lane, Waiter[]> = { short: [], bulk: [] };
  /** Connections lent to bulk work (at most bulkLimit). */
  private bulkBusy = 0;
  private readonly bulkLimit: number;
  private closed = false;
  private drained: (() => void) | undefined;

  private constructor(private readonly connections: DuckDBConnection[]) {
    this.idle = [...connections];
    this.bulkLimit = Math.max(1, connections.length - 1);
  }

  static async create(
    instance: DuckDBInstance,
    size: number,
    init: (connection: DuckDBConnection) => Promise<void>,
  ): Promise<DuckDbConnectionPool> {
    const connections: DuckDBConnection[] = [];
    for (let i = 0; i < size; i++) {
      const connection = await instance.connect();
      await init(connection);
      connections.push(connection);
    }
    return new DuckDbConnectionPool(connections);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `work` on a borrowed connection; `timeoutMs` covers the wait for a connection too. */
  async use<T>(work: (session: Session) => Promise<T>, timeoutMs?: number, lane: Lane = 'short'): Promise<T> {
    const started = Date.now();
    const connection = await this.acquire(lane, timeoutMs);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let again: NodeJS.Timeout | undefined;
    const cleanups: string[] = [];
    const checkDeadline = () => {
      if (timedOut && timeoutMs !== undefined) throw timeoutError(timeoutMs);
      if (this.closed) throw closedError();
    };
    try {
      if (timeoutMs !== undefined) {
        const remaining = timeoutMs - (Date.now() - started);
        if (remaining <= 0) throw timeoutError(timeoutMs);
        timer = setTimeout(() => {
          timedOut = true;
          connection.interrupt();
          // As at close: an interrupt sent between two statements is forgotten by the next one.
          again = setInterval(() => connection.interrupt(), INTERRUPT_AGAIN_MS);
        }, remaining);
      }
      return await work({ connection, checkDeadline, afterWork: (sql) => cleanups.push(sql) });
    } catch (error) {
      checkDeadline();
      throw error;
    } finally {
      clearTimeout(timer);
      clearInterval(again);
      // The interrupts may have cut the work's own cleanup (its ROLLBACK): the connection goes back
      // to the pool out of any transaction, else the next work would run inside that one. (With no
      // transaction open, DuckDB refuses the ROLLBACK; nothing to do then.)
      if (timedOut && !this.closed) await connection.run('ROLLBACK').catch(() => undefined);
      if (!this.closed) for (const sql of cleanups) await connection.run(sql).catch(() => undefined);
      if (lane === 'bulk') this.bulkBusy--;
      this.release(connection);
    }
  }

  /** Stops new work, interrupts running statements and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of [...this.waiters.short.splice(0), ...this.waiters.bulk.splice(0)])
      waiter.reject(closedError());
    if (this.busy.size > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      // DuckDB forgets an interrupt when the next statement starts: one sent while work was between
      // statements, or before its statement reached DuckDB, was lost, and close waited for that
      // statement to end on its own (a scan: minutes). Sent again until every connection is back.
      const interruptBusy = () => {
        for (const connection of this.busy) connection.interrupt();
      };
      interruptBusy();
      const again = setInterval(interruptBusy, INTERRUPT_AGAIN_MS);
      try {
        await drained;
      } finally {
        clearInterval(again);
      }
    }
    for (const connection of this.connections) connection.closeSync();
  }

  /**
   * A connection for `lane`, at once or once one is freed for it; a wait longer than `timeoutMs`
   * leaves the queue and fails with WAREHOUSE_TIMEOUT then (not once a connection finally comes,
   * which behind scans of their own 30 s timeout kept the caller waiting up to twice its timeout).
   */
  private acquire(lane: Lane, timeoutMs?: number): Promise<DuckDBConnection> {
    if (this.closed) return Promise.reject(closedError());
    const connection = lane === 'bulk' && this.bulkBusy >= this.bulkLimit ? undefined : this.idle.pop();
    if (connection) {
      this.busy.add(connection);
      if (lane === 'bulk') this.bulkBusy++;
      return Promise.resolve(connection);
    }
    return new Promise((resolve, reject) => {
      const queue = this.waiters[lane];
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              queue.splice(queue.indexOf(waiter), 1);
              reject(timeoutError(timeoutMs));
            }, timeoutMs);
      const waiter: Waiter = {
        resolve: (granted) => (clearTimeout(timer), resolve(granted)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      queue.push(waiter);
    });
  }

  /** Hands the connection to short work waiting, else to bulk work within its limit, else idles it. */
  private release(connection: DuckDBConnection): void {
    if (!this.closed) {
      const short = this.waiters.short.shift();
      if (short) {
        short.resolve(connection); // stays busy, now for the waiter
        return;
      }
      const bulk = this.bulkBusy < this.bulkLimit ? this.waiters.bulk.shift() : undefined;
      if (bulk) {
        this.bulkBusy++;
        bulk.resolve(connection);
        return;
      }
    }
    this.busy.delete(connection);
    this.idle.push(connection);
    if (this.closed && this.busy.size === 0) this.drained?.();
  }
}
