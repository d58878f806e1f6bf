import net from 'node:net';

/**
 * A TCP relay to Redis (or any TCP server: PostgreSQL for the PostgREST stand-in) that can be cut (every connection dropped, new ones refused) and healed, or
 * stalled (connections stay open, nothing is answered: a Redis that stopped answering, a network
 * dropping packets) and resumed (what was held back is then delivered, in order, as TCP would), or
 * frozen (the connections open now go silent for good without closing, a half-open connection behind
 * a NAT that forgot the flow, while new connections are relayed as usual).
 */
export async function cuttableRelay(target: URL) {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  let open = true;
  let stalled = false;
  let accepted = 0;
  const relay = ([client, redis]: [net.Socket, net.Socket]) => client.pipe(redis).pipe(client);
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    accepted++;
    const redis = net.connect(Number(target.port || 6379), target.hostname);
    const pair: [net.Socket, net.Socket] = [client, redis];
    const end = () => (client.destroy(), redis.destroy(), pairs.delete(pair));
    for (const s of [client, redis]) sockets.add(s).add(s.on('error', end).on('close', end));
    pairs.add(pair);
    if (!stalled) relay(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  const dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    url: url.toString(),
    /** Connections relayed so far (a reconnect shows as one more). */
    accepted: () => accepted,
    cut() {
      open = false;
      dropAll();
    },
    heal: () => void (open = true),
    stall() {
      stalled = true;
      for (const [client, redis] of pairs) {
        client.unpipe(redis).pause();
        redis.unpipe(client).pause();
      }
    },
    freeze() {
      for (const pair of pairs) {
        const [client, redis] = pair;
        client.unpipe(redis).pause();
        redis.unpipe(client).pause();
        pairs.delete(pair);
      }
    },
    resume() {
      stalled = false;
      for (const pair of pairs) relay(pair);
    },
    close: () => new Promise<void>((resolve) => (dropAll(), server.close(() => resolve()))),
  };
}

export const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
};
