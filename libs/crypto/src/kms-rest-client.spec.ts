import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import { KmsRestClient } from './kms-rest-client.js';

const KEY_NAME = 'projects/p/locations/global/keyRings/r/cryptoKeys/k';

/**
 * A KMS REST endpoint that answers the first `drops` requests with a 200 whose body is cut off
 * half-way (the connection closed under it), then a real-looking encrypt answer.
 */
async function cutOffKms(
  drops: number,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      const body = JSON.stringify({ name: `${KEY_NAME}/cryptoKeyVersions/1`, ciphertext: 'AAAA' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      if (requests <= drops) {
        res.write(body.slice(0, 10));
        setTimeout(() => res.socket?.destroy(), 20);
      } else res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const client = (endpoint: string) =>
  new KmsRestClient({
    endpoint,
    keyName: KEY_NAME,
    auth: { getRequestHeaders: async () => new Headers({ authorization: 'Bearer t' }) },
    timeoutMs: 2_000,
    retryDelayMs: 5,
  });

/** What `call` rejected with (undefined when it did not). */
const failureOf = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('KmsRestClient', () => {
  it('retries once when the connection drops while the answer is read', async () => {
    const kms = await cutOffKms(1);
    try {
      const res = await client(kms.url).call('encrypt', { plaintext: 'AAAA' });
      expect(res.ciphertext).toBe('AAAA');
      expect(kms.requests()).toBe(2);
    } finally {
      await kms.close();
    }
  });

  it('reports an answer cut off twice as KeyUnavailable, not as a value that cannot be decrypted', async () => {
    const kms = await cutOffKms(2);
    try {
      const err = await failureOf(client(kms.url).call('decrypt', { ciphertext: 'AAAA' }));
      expect(err).toBeInstanceOf(CryptoError);
      expect((err as CryptoError).code).toBe(CryptoErrorCode.KeyUnavailable);
      expect(kms.requests()).toBe(2);
    } finally {
      await kms.close();
    }
  });

  it.each([
    [
      'a redirect (not followed)',
      302,
      { location: '/login', 'content-type': 'text/html' },
      '<a href="/login">',
    ],
    ['a 200 that is not JSON', 200, { 'content-type': 'text/html' }, '<html>Sign in</html>'],
  ])(
    'reports %s as KeyUnavailable, not as a value that cannot be decrypted',
    async (_what, status, headers, body) => {
      const paths: string[] = [];
      const server: Server = createServer((req, res) => {
        paths.push(`${req.method} ${req.url}`);
        req.resume();
        req.on('end', () => res.writeHead(status, headers).end(body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const err = await failureOf(
          client(`http://127.0.0.1:${port}`).call('decrypt', { ciphertext: 'AAAA' }),
        );
        expect(err).toBeInstanceOf(CryptoError);
        expect((err as CryptoError).code).toBe(CryptoErrorCode.KeyUnavailable);
        expect(paths).toEqual([`POST /v1/${KEY_NAME}:decrypt`]);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );
});
