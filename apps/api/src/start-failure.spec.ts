import { EventEmitter } from 'node:events';
import net from 'node:net';
import { SupabaseTenancyDb } from '#tenancy-db';
import { exitAfterFailedStart, startFailureMessage } from './start-failure.js';

describe('startFailureMessage', () => {
  it('prints each cause under the error, without repeating one', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:5433');
    const unavailable = new Error('The tenancy database is unavailable.', { cause: refused });
    const outer = new Error('The tenancy database is unavailable.', { cause: unavailable });
    expect(startFailureMessage(outer)).toBe(
      'The tenancy database is unavailable.\n  caused by: connect ECONNREFUSED 127.0.0.1:5433',
    );
  });

  it('masks the password of a URL in any message, and reads what is not an Error', () => {
    const err = new Error('bad', { cause: new Error('cannot reach postgres://app:s3cr3t@db_host:5432/app') });
    expect(startFailureMessage(err)).toBe(
      'bad\n  caused by: cannot reach postgres://app:***@db_host:5432/app',
    );
    expect(startFailureMessage('plain')).toBe('plain');
  });

  it("prints the message of a cause that is a plain object (supabase-js's errors), not [object Object]", () => {
    const refused = {
      message: 'TypeError: fetch failed',
      details: 'TypeError: fetch failed\n    at …',
      hint: '',
      code: '',
    };
    const err = new Error('The tenancy database is unavailable.', { cause: refused });
    expect(startFailureMessage(err)).toBe(
      'The tenancy database is unavailable.\n  caused by: TypeError: fetch failed',
    );
  });

  it("prints the reason supabase-js keeps in a failed call's details (Supabase unreachable), without its stack", async () => {
    // A port nothing listens on any more: fetch fails, its reason only in `details` ("Caused by: …").
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const db = await SupabaseTenancyDb.open({
      url: `http://127.0.0.1:${port}`,
      serviceRoleKey: 'k'.repeat(40),
    });
    const failure = await db.select('organizations').then(
      () => null,
      (err: unknown) => err,
    );
    await db.close();
    expect(startFailureMessage(failure)).toBe(
      'The tenancy database is unavailable.\n  caused by: TypeError: fetch failed' +
        `\n  caused by: Error: connect ECONNREFUSED 127.0.0.1:${port} (ECONNREFUSED)`,
    );
  });

  it('masks a password holding an unencoded @ whole, and one given as a query option', () => {
    expect(startFailureMessage('cannot reach postgres://app:p@ss@w0rd@db_host:5432/app (timeout)')).toBe(
      'cannot reach postgres://app:***@db_host:5432/app (timeout)',
    );
    expect(
      startFailureMessage('Redis redis://cache:6379/0?db=1&password=s3cr3t&sentinelPassword=x9 down'),
    ).toBe('Redis redis://cache:6379/0?db=1&password=***&sentinelPassword=*** down');
  });
});

describe('exitAfterFailedStart', () => {
  it("exits with 1 and prints the message at exit, after what earlier exit listeners write (pino's buffered lines)", () => {
    const written: string[] = [];
    const codes: number[] = [];
    const proc = Object.assign(new EventEmitter(), {
      exit(code: number) {
        codes.push(code);
        proc.emit('exit', code);
      },
    });
    // pino flushes the lines it still buffers in an exit listener registered when the logger was made.
    proc.once('exit', () =>
      written.push('{"level":"error","context":"ExceptionHandler","err":{"stack":"..."}}'),
    );
    exitAfterFailedStart(new Error('The embedded warehouse is in use'), proc, (text) => written.push(text));
    expect(codes).toEqual([1]);
    expect(written).toEqual([
      '{"level":"error","context":"ExceptionHandler","err":{"stack":"..."}}',
      'Fatal error at start: The embedded warehouse is in use',
    ]);
  });
});
