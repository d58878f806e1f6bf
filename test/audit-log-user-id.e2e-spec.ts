import { request } from 'node:http';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { listenOnLoopback, NO_RATE_LIMITS, rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/**
 * The X-User-ID the audit log records, as a client sends it over a socket: Node hands header bytes
 * over a character a byte (latin1) and joins a repeated header's lines with ", ".
 */
describe('audit log: the X-User-ID as sent on the wire', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp(NO_RATE_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
    port = await listenOnLoopback(t.app);
  });
  afterAll(() => t.close());

  /** A locale update of a new org with these header lines (name, value, ...; values as bytes); its entry's user. */
  async function recordedUser(userIdLines: [string, Buffer][]): Promise<string | null> {
    const k = await anOrgWithKey(warehouse);
    const body = JSON.stringify({ default_timezone: 'UTC' });
    // As raw lines (a repeated header stays two lines); Node then adds no Host of its own.
    const headers = ['host', `127.0.0.1:${port}`, 'x-api-key', k.key, 'content-type', 'application/json'];
    // A header value string is written a byte a character: latin1 of the bytes sends the bytes.
    for (const [name, value] of userIdLines) headers.push(name, value.toString('latin1'));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { port, host: '127.0.0.1', method: 'PUT', path: `/api/v1/organizations/${k.org}/locale`, headers },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit-logs/${k.org}`,
      headers: rootHeaders,
    });
    const [entry] = res.json().logs;
    expect(entry).toMatchObject({ action: 'UPDATE', status: 'SUCCESS' });
    return entry.user_id;
  }

  it('reads an id sent as UTF-8 (curl, Go, Python) as UTF-8, and one sent as latin1 as such', async () => {
    expect(await recordedUser([['X-User-ID', Buffer.from('jos\u00e9@example.com', 'utf8')]])).toBe(
      'jos\u00e9@example.com',
    );
    expect(await recordedUser([['X-User-ID', Buffer.from('\u7528\u6237-42', 'utf8')]])).toBe(
      '\u7528\u6237-42',
    );
    // A Node or browser fetch sends "é" as the one byte 0xE9.
    expect(await recordedUser([['X-User-ID', Buffer.from('jos\u00e9@example.com', 'latin1')]])).toBe(
      'jos\u00e9@example.com',
    );
  });

  it('records no user for an id with a C1 control character (0x80-0x9F: a terminal escape)', async () => {
    expect(await recordedUser([['X-User-ID', Buffer.from([0x61, 0x9b, 0x33, 0x31, 0x6d, 0x62])]])).toBeNull();
    expect(await recordedUser([['X-User-ID', Buffer.from('a\u009bb', 'utf8')]])).toBeNull();
  });

  it('records no user for an X-User-ID sent twice (Node joins them: "alice, mallory" is no one)', async () => {
    const lines: [string, Buffer][] = [
      ['X-User-ID', Buffer.from('alice')],
      ['x-user-id', Buffer.from('mallory')],
    ];
    expect(await recordedUser(lines)).toBeNull();
    expect(await recordedUser([['X-User-ID', Buffer.from('doe, jane')]])).toBe('doe, jane');
  });
});
