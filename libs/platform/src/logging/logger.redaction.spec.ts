import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, HEADERS, REQ_HEADERS, redactFields, scrubSecrets, SECRET_FIELDS } from './logger.js';

/** pino redact paths naming what `redactFields` censors: secret fields at the top level and one level down. */
const PINO_PATHS = [
  ...REQ_HEADERS.map((h) => (h.includes('-') ? `req.headers["${h}"]` : `req.headers.${h}`)),
  ...HEADERS.map((h) => (h.includes('-') ? `headers["${h}"]` : `headers.${h}`)),
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
];

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as Record<string, unknown>;
      delete line.time;
      lines.push(line);
      done();
    },
  });
  return { lines, stream };
}

const SAMPLES: Record<string, unknown>[] = [
  { method: 'GET', route: '/health', status: 200, latency_ms: 1.2 },
  {
    req: {
      method: 'GET',
      headers: { 'x-api-key': 'k1', 'x-ca-root-key': 'r1', authorization: 'B', cookie: 'c', host: 'h' },
    },
  },
  { headers: { 'x-api-key': 'k2', authorization: 'B', cookie: 'stays', accept: '*/*' } },
  { body: { password: 'p', name: 'n' }, config: { connectionString: 'postgres://u:p@h/db', apiKey: 'a' } },
  { nested: { deeper: { password: 'not one level down' } }, password: 'top level' },
  { api_key: 'k3', token: 't2', credentials: { user: 'u' }, method: 'GET' },
  { list: [{ token: 'in an array' }], org: { token: undefined, access_token: 't' } },
  { req: { headers: 'not an object' }, headers: null, secret: 's' },
];

describe('log redaction', () => {
  it.each(SAMPLES.map((s, i) => [i, s]))(
    'writes sample %i exactly as pino’s redact paths did',
    (_i, sample) => {
      const before = capture();
      const reference = pino(
        {
          base: { service: 'finops-api' },
          redact: { paths: PINO_PATHS, censor: '[REDACTED]' },
          messageKey: 'message',
          formatters: { level: (label) => ({ level: label, severity: 'INFO' }) },
        },
        before.stream,
      );
      const now = capture();
      const logger = createLogger({ level: 'info', destination: now.stream });
      reference.child({ request_id: 'r' }).info(sample, 'line');
      logger.child({ request_id: 'r' }).info(sample, 'line');
      expect(now.lines).toEqual(before.lines);
    },
  );

  it("masks the process's secrets and known key shapes in an error's message, stack and detail", () => {
    const { lines, stream } = capture();
    const root = 'plain-root-key-without-any-known-shape-0123456789';
    const logger = createLogger({ level: 'info', destination: stream, secrets: [root] });
    const err = Object.assign(new Error(`upstream said ${root}`), {
      detail: `echoed ${root} and sk-ant-api03-abcdefghijklmnopqrstuvwxyz`,
    });
    logger.error({ err }, 'request failed');
    const text = JSON.stringify(lines);
    expect(text).not.toContain(root);
    expect(text).not.toContain('sk-ant-api03');
    expect(lines[0]).toMatchObject({ err: { detail: 'echoed [REDACTED] and [REDACTED]' } });
    // Registered for the process: text from outside is masked where no logger is at hand.
    expect(scrubSecrets(`root: ${root}`)).toBe('root: [REDACTED]');
  });

  it('never writes a secret field given at the top level of a line', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.info({ api_key: 'top-api-key-value', token: 'top-token-value' }, 'line');
    logger.info({ credentials: { user: 'u', pass: 'nested-pass-value' }, org: 'acme' }, 'line');
    const text = JSON.stringify(lines);
    for (const secret of ['top-api-key-value', 'top-token-value', 'nested-pass-value'])
      expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ api_key: '[REDACTED]', token: '[REDACTED]' });
    expect(lines[1]).toMatchObject({ credentials: '[REDACTED]', org: 'acme' });
  });

  it('never writes a secret bound to a child logger, at any depth of children', () => {
    const now = capture();
    const logger = createLogger({ level: 'info', destination: now.stream });
    logger
      .child({ token: 'child-secret-1', body: { password: 'child-secret-2' } })
      .child({ api_key: 'child-secret-3' })
      .info({ ok: true }, 'line');
    const text = JSON.stringify(now.lines);
    expect(text).not.toContain('child-secret');
    expect(now.lines[0]).toMatchObject({ token: '[REDACTED]', body: { password: '[REDACTED]' }, ok: true });
  });

  it('never changes the logged object', () => {
    const headers = { 'x-api-key': 'k' };
    const fields = { req: { headers }, body: { password: 'p' }, token: 't' };
    const out = redactFields(fields);
    expect(out).toEqual({
      req: { headers: { 'x-api-key': '[REDACTED]' } },
      body: { password: '[REDACTED]' },
      token: '[REDACTED]',
    });
    expect(fields).toEqual({ req: { headers: { 'x-api-key': 'k' } }, body: { password: 'p' }, token: 't' });
  });

  it('returns a line without secrets as it is, without copying', () => {
    const fields = { method: 'GET', auth: { kind: 'org' } };
    expect(redactFields(fields)).toBe(fields);
  });

  it('censors secret fields of a logged error and scrubs its message', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', destination: stream, secrets: ['literal-root-key'] });
    const err = Object.assign(new Error('failed with literal-root-key'), { token: 't', code: 'E1' });
    logger.error({ err }, 'boom');
    expect(lines[0].err).toMatchObject({
      message: 'failed with [REDACTED]',
      token: '[REDACTED]',
      code: 'E1',
    });
  });

  // Fake values of each shape (assembled, so no scanner takes this file for a leak).
  const fake = (prefix: string, n = 24) => prefix + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0'.slice(0, n);
  it.each([
    ['an org API key', fake('acme_corp_api_')],
    ['a provider key', fake('sk-')],
    ['a root key', fake('ca_root_')],
    ['a JWT', `${fake('eyJ', 12)}.${fake('', 12)}.${fake('', 12)}`],
    ['a Google API key', fake('AIza', 32)],
    ['a GitHub token', fake('ghp_')],
    ['a Slack token', fake('xoxb-')],
    ['an AWS access key id', 'AKIA' + 'ABCDEFGHIJKLMNOP'],
    ['a private key', '-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----'],
  ])('masks %s wherever it stands in a text', (_name, secret) => {
    expect(scrubSecrets(`/api/v1/x/${secret}/y`)).toBe('/api/v1/x/[REDACTED]/y');
    expect(scrubSecrets(`${secret}`)).toBe('[REDACTED]');
  });

  it.each([
    ['an AWS secret key', `aws_secret_access_key=${fake('', 28)}`, 'aws_secret_access_key=[REDACTED]'],
    ['a URL password', 'postgres://user:p4ss@db:5432/x', 'postgres://user:[REDACTED]@db:5432/x'],
    [
      'a URL password holding an @',
      'postgres://user:p4@ss@db:5432/x',
      'postgres://user:[REDACTED]@db:5432/x',
    ],
    [
      'a password given as a URL query option',
      'redis://cache:6379/0?db=1&password=s3cr3t&sentinelPassword=x9 down',
      'redis://cache:6379/0?db=1&password=[REDACTED]&sentinelPassword=[REDACTED] down',
    ],
    ['a bearer token', `bearer ${fake('')}`, 'bearer [REDACTED]'],
  ])('masks %s and keeps what names it', (_name, text, masked) => {
    expect(scrubSecrets(text)).toBe(masked);
  });

  it('scrubs a run of a password-like name with no = in time linear in its length', () => {
    // Every unknown path is scrubbed (its 404 and its access line) before any key is checked. The
    // query-password pattern tried each `pass` to the end: 128 KB of them took ~4 s, ~1 ms now.
    // The bound is for a regression of that order, not a speed target.
    const text = `/&${'pass'.repeat(32_000)}`;
    const started = performance.now();
    expect(scrubSecrets(text)).toBe(text);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('returns a text without a secret as it is', () => {
    for (const text of ['/api/v1/costs/acme_corp/summary', 'sk-short', 'AKIA12', 'https://host/path'])
      expect(scrubSecrets(text)).toBe(text);
  });
});
