import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SupabaseTenancyDb } from './supabase-tenancy-db.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

/**
 * A gateway whose answer stops after its headers and the first bytes of its body, as across a
 * network partition that opens mid-response (or, `silent`, before anything): the socket stays open
 * and nothing more arrives.
 */
async function stallingServer(silent = false): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    req.resume();
    if (silent) return;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.write('[{"org_slug":"stal');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('SupabaseTenancyDb against an answer that stalls', () => {
  it.each([
    ['after its headers', false],
    ['before its headers', true],
  ])(
    'gives up on a read, the writes and a function call %s at the request timeout, as Timeout',
    async (_when, silent) => {
      const server = await stallingServer(silent);
      const db = await SupabaseTenancyDb.open({
        url: server.url,
        serviceRoleKey: 'k',
        requestTimeoutMs: 300,
      });
      try {
        // The test's own timeout is what fails it if a call waits for the rest of the body.
        const calls = await Promise.all([
          db.select('organizations', { org_slug: 'stalled' }).catch((e: unknown) => e),
          db.insert('organizations', [{ org_slug: 'stalled', company_name: 'x' }]).catch((e: unknown) => e),
          db.upsert('organizations', [{ org_slug: 'stalled' }], ['org_slug']).catch((e: unknown) => e),
          db.update('organizations', { org_slug: 'stalled' }, { seat_limit: 2 }).catch((e: unknown) => e),
          db.delete('organizations', { org_slug: 'stalled' }).catch((e: unknown) => e),
          db.rpc('reserve_pipeline_run', { p_org_slug: 'stalled', p_run_id: 'r' }).catch((e: unknown) => e),
        ]);
        for (const outcome of calls) expect(outcome).toMatchObject({ code: TenancyDbErrorCode.Timeout });
      } finally {
        await db.close();
        await server.close();
      }
    },
    10_000,
  );
});
