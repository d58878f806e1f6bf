import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { closedError, timeoutError } from './duckdb-errors.js';

/** One borrowed connection, for one unit of work. */
export interface Session {
  readonly connection: DuckDBConnection;
  /**
   * Throws WAREHOUSE_TIMEOUT once the deadline has passed. An interrupt only stops the statement
   * running at that moment, so multi-statement work calls this between statements.
   */
  checkDeadline(): void;
}

interface Waiter {
  resolve(connection: DuckDBConnection): void;
  reject(error: Error): void;
}

/**
 * A few connections on one DuckDB instance. DuckDB runs statements of different connections in
 * parallel, but a connection runs one statement at a time, so each unit of work borrows one.
 */
export class DuckDbConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly busy = new Set<DuckDBConnection>();
  private readonly waiters: Waiter[] = [];
  private closed = false;
  private drained: (() => void) | undefined;

  private constructor(private readonly connections: DuckDBConnection[]) {
    this.idle = [...connections];
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
  async use<T>(work: (session: Session) => Promise<T>, timeoutMs?: number): Promise<T> {
    const started = Date.now();
    const connection = await this.acquire();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const checkDeadline = () => {
      if (timedOut && timeoutMs !== undefined) throw timeoutError(timeoutMs);
    };
    try {
      if (timeoutMs !== undefined) {
        const remaining = timeoutMs - (Date.now() - started);
        if (remaining <= 0) throw timeoutError(timeoutMs);
        timer = setTimeout(() => {
          timedOut = true;
          connection.interrupt();
        }, remaining);
      }
      return await work({ connection, checkDeadline });
    } catch (error) {
      checkDeadline();
      if (this.closed) throw closedError();
      throw error;
    } finally {
      clearTimeout(timer);
      this.release(connection);
    }
  }

  /** Stops new work, interrupts running statements and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(closedError());
    if (this.busy.size > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      for (const connection of this.busy) connection.interrupt();
      await drained;
    }
    for (const connection of this.connections) connection.closeSync();
  }

  private acquire(): Promise<DuckDBConnection> {
    if (this.closed) return Promise.reject(closedError());
    const connection = this.idle.pop();
    if (connection) {
      this.busy.add(connection);
      return Promise.resolve(connection);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(connection: DuckDBConnection): void {
    const waiter = this.closed ? undefined : this.waiters.shift();
    if (waiter) {
      waiter.resolve(connection); // stays busy, now for the waiter
      return;
    }
    this.busy.delete(connection);
    this.idle.push(connection);
    if (this.closed && this.busy.size === 0) this.drained?.();
  }
}
