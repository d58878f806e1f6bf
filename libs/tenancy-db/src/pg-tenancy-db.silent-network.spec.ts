import net from 'node:net';
import { PgTenancyDb } from './pg-tenancy-db.js';
import { dropSchema, randomSchemaName } from './tenancy-db-contract.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

const url = process.env.TEST_DATABASE_URL;

/**
 * A TCP proxy to the test server whose network can go silent: bytes are then dropped in both
 * directions and every connection stays open, as across a partition no RST or FIN crosses; a side
 * that closed meanwhile is heard of once the network is back.
 */
class SilentNetworkProxy {
  private silent = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly closesHeldBack: net.Socket[] = [];
  private readonly server: net.Server;

  private constructor(target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(from);
        from.on('data', (chunk: Buffer) => {
          if (!this.silent) to.write(chunk);
        });
        from.on('close', () => {
          if (this.silent) this.closesHeldBack.push(to);
          else to.destroy();
        });
        from.on('error', () => undefined);
      }
    });
  }

  static async start(target: { host: string; port: number }): Promise<SilentNetworkProxy> {
    const proxy = new SilentNetworkProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  goSilent(): void {
    this.silent = true;
  }

  recover(): void {
    this.silent = false;
    for (const socket of this.closesHeldBack.splice(0)) socket.destroy();
  }

  /** `connectionString` with its host and port replaced by this proxy's. */
  route(connectionString: string): string {
    const routed = new URL(connectionString);
    routed.hostname = '127.0.0.1';
    routed.port = String((this.server.address() as net.AddressInfo).port);
    return routed.toString();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function elapsedMs(work: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work;
  return performance.now() - started;
}

describe.skipIf(!url)('PgTenancyDb when the network to PostgreSQL goes silent', () => {
  const connectionString = url as string;
  const target = new URL(connectionString);
  const schema = randomSchemaName();
  let proxy: SilentNetworkProxy;

  beforeAll(async () => {
    proxy = await SilentNetworkProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const setup = await PgTenancyDb.open({ connectionString, schema });
    try {
      await setup.transaction((s) => s.exec('CREATE TABLE notes (id int PRIMARY KEY)'));
    } finally {
      await setup.close();
    }
  });
  afterAll(async () => {
    await proxy?.stop();
    await dropSchema(connectionString, schema);
  });
  afterEach(() => proxy.recover());

  /** One pooled connection, already open: the query under test has to use it. */
  async function openThroughProxy(queryTimeoutMs: number): Promise<PgTenancyDb> {
    const db = await PgTenancyDb.open({
      connectionString: proxy.route(connectionString),
      schema,
      max: 1,
      queryTimeoutMs,
      connectTimeoutMs: 2_000,
    });
    await db.select('notes');
    return db;
  }

  it('fails a query on a silent connection as Unavailable within the bound, and answers once the network is back', async () => {
    const db = await openThroughProxy(300);
    try {
      proxy.goSilent();
      const failure = db.select('notes').catch((e: unknown) => e);
      // The server's cancel (300 ms) cannot arrive; the client gives up a second after it.
      expect(await elapsedMs(failure)).toBeLessThan(2_500);
      expect(await failure).toMatchObject({ code: TenancyDbErrorCode.Unavailable });

      proxy.recover();
      // With one connection, this would queue behind the unanswered query had it gone back to the pool.
      expect(await db.insert('notes', [{ id: 1 }])).toEqual([{ id: 1 }]);
      expect(await db.select('notes', { id: 1 })).toEqual([{ id: 1 }]);
    } finally {
      expect(await elapsedMs(db.close())).toBeLessThan(500);
    }
  });

  it('rolls back a transaction cut by a silent network, and the server frees its lock on its own', async () => {
    const db = await openThroughProxy(300);
    const direct = await PgTenancyDb.open({ connectionString, schema, max: 1 });
    try {
      const cut = db
        .transaction(async (s) => {
          await s.query('SELECT pg_advisory_xact_lock(4242)');
          await s.query('INSERT INTO notes (id) VALUES (2)');
          proxy.goSilent();
          await s.query('INSERT INTO notes (id) VALUES (3)');
        })
        .catch((e: unknown) => e);
      // One bound (1.3 s), not two: no ROLLBACK is sent to wait behind the unanswered statement.
      expect(await elapsedMs(cut)).toBeLessThan(2_000);
      expect(await cut).toMatchObject({ code: TenancyDbErrorCode.Unavailable });

      // Still silent: the server heard nothing of the client going away, yet it ended the idle
      // transaction (idle_in_transaction_session_timeout) and with it the advisory lock.
      const taken = await direct.transaction((s) =>
        s.query('SELECT pg_try_advisory_xact_lock(4242) AS taken'),
      );
      expect(taken).toEqual([{ taken: true }]);
      expect(await direct.select('notes', { id: { in: [2, 3] } })).toEqual([]);
    } finally {
      await direct.close();
      await db.close();
    }
  });

  it('closes promptly while a query hangs on a silent connection, well before its timeout', async () => {
    const db = await openThroughProxy(20_000);
    proxy.goSilent();
    const hanging = db.select('notes').catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await elapsedMs(db.close())).toBeLessThan(2_500);
    expect(await hanging).toMatchObject({ code: TenancyDbErrorCode.Unavailable });
  });
});
