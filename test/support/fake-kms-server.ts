import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the two Cloud KMS REST calls the KmsEncryptor makes:
 * `POST /v1/{keyName}:encrypt` and `POST /v1/{keyName}:decrypt`. It encrypts for real with AES-256-GCM
 * keys of its own, one per key version, so wrap/unwrap round-trips and a wrong AAD or an altered
 * ciphertext fails with 400 INVALID_ARGUMENT as KMS does. Its ciphertext is
 * `version u8 | iv (12) | tag (16) | data`, standing in for KMS's opaque format.
 */

export const FAKE_KMS_KEY_NAME =
  'projects/test-project/locations/global/keyRings/finops/cryptoKeys/credentials';
export const FAKE_KMS_TOKEN = 'fake-kms-token';

export interface KmsRecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: Record<string, unknown> | undefined;
}

export interface FakeKmsOptions {
  keyName?: string;
  /** The bearer token required in `Authorization`; other tokens get 401. */
  token?: string;
}

export interface FakeKms {
  readonly url: string;
  readonly keyName: string;
  readonly requests: KmsRecordedRequest[];
  /** The version new encrypt calls use, e.g. `…/cryptoKeyVersions/1`. */
  readonly primaryVersion: string;
  /**
   * Answer the next `times` requests with this status. The error body echoes the request body, as
   * a careless proxy might, so tests can prove that response bodies never reach an error message.
   */
  failNext(status: number, times?: number): void;
  /** Hold the next request this long before answering (to exercise client timeouts). */
  delayNext(ms: number): void;
  /** Make a new primary key version; older versions still decrypt what they encrypted. */
  rotate(): string;
  close(): Promise<void>;
}

const GRPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

class KmsHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeKms(options: FakeKmsOptions = {}): Promise<FakeKms> {
  const keyName = options.keyName ?? FAKE_KMS_KEY_NAME;
  const token = options.token ?? FAKE_KMS_TOKEN;
  const versions = new Map<number, Buffer>([[1, randomBytes(32)]]);
  let primary = 1;
  const requests: KmsRecordedRequest[] = [];
  const failures: number[] = [];
  const delays: number[] = [];

  const encrypt = (body: Record<string, unknown>): Record<string, unknown> => {
    const plaintext = base64Field(body, 'plaintext', true);
    const aad = base64Field(body, 'additionalAuthenticatedData', false);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', versions.get(primary) as Buffer, iv);
    cipher.setAAD(aad);
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const ciphertext = Buffer.concat([Buffer.from([primary]), iv, cipher.getAuthTag(), data]);
    return { name: `${keyName}/cryptoKeyVersions/${primary}`, ciphertext: ciphertext.toString('base64') };
  };

  const decrypt = (body: Record<string, unknown>): Record<string, unknown> => {
    const ciphertext = base64Field(body, 'ciphertext', true);
    const aad = base64Field(body, 'additionalAuthenticatedData', false);
    const key = versions.get(ciphertext[0] as number);
    const refused = new KmsHttpError(
      400,
      "Decryption failed: verify that 'name' refers to the correct CryptoKey.",
    );
    if (!key || ciphertext.length < 29) throw refused;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(1, 13));
      decipher.setAAD(aad);
      decipher.setAuthTag(ciphertext.subarray(13, 29));
      const plaintext = Buffer.concat([decipher.update(ciphertext.subarray(29)), decipher.final()]);
      return { plaintext: plaintext.toString('base64'), usedPrimary: ciphertext[0] === primary };
    } catch {
      throw refused;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const record: KmsRecordedRequest = {
      method: req.method ?? '',
      path: decodeURIComponent((req.url ?? '').split('?')[0] as string),
      headers: req.headers,
      body: parseJson(raw),
    };
    requests.push(record);
    const delay = delays.shift();
    // The wait ends with the response too (the client gave up, or close() cut it), so no timer
    // outlives the server into the next test file.
    if (delay !== undefined)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    if (res.destroyed) return;
    try {
      const forced = failures.shift();
      if (forced !== undefined) throw new KmsHttpError(forced, `Injected failure; request was: ${raw}`);
      if (req.headers.authorization !== `Bearer ${token}`) {
        throw new KmsHttpError(401, 'Request had invalid authentication credentials.');
      }
      const match = /^\/v1\/(.+):(encrypt|decrypt)$/.exec(record.path);
      if (req.method !== 'POST' || !match) throw new KmsHttpError(404, 'Not found');
      if (match[1] !== keyName) throw new KmsHttpError(404, `CryptoKey ${match[1]} not found.`);
      if (!record.body) throw new KmsHttpError(400, 'Invalid JSON payload received.');
      send(res, 200, match[2] === 'encrypt' ? encrypt(record.body) : decrypt(record.body));
    } catch (err) {
      const status = err instanceof KmsHttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : 'Internal error';
      send(res, status, { error: { code: status, message, status: GRPC_STATUS[status] ?? 'UNKNOWN' } });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    keyName,
    requests,
    get primaryVersion() {
      return `${keyName}/cryptoKeyVersions/${primary}`;
    },
    failNext(status: number, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push(status);
    },
    delayNext(ms: number) {
      delays.push(ms);
    },
    rotate() {
      primary += 1;
      versions.set(primary, randomBytes(32));
      return `${keyName}/cryptoKeyVersions/${primary}`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function base64Field(body: Record<string, unknown>, field: string, required: boolean): Buffer {
  const value = body[field];
  if (value === undefined && !required) return Buffer.alloc(0);
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new KmsHttpError(400, `Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed.`);
  }
  return Buffer.from(value, 'base64');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
