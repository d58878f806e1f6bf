import { connectionLost, mapDriverError } from './db-error-mapping.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

function pgError(code: string, message: string, constraint?: string): Error {
  return Object.assign(new Error(message), { code, constraint });
}

describe('mapDriverError', () => {
  it.each([
    ['23505', TenancyDbErrorCode.Conflict],
    ['23514', TenancyDbErrorCode.Conflict],
    ['57014', TenancyDbErrorCode.Timeout],
    ['08006', TenancyDbErrorCode.Unavailable],
    ['57P01', TenancyDbErrorCode.Unavailable],
    ['28P01', TenancyDbErrorCode.Unavailable],
    // Rolled back whole for a concurrent transaction: send it again (503), not a bug (500).
    ['40001', TenancyDbErrorCode.Unavailable],
    ['40P01', TenancyDbErrorCode.Unavailable],
    ['42P01', TenancyDbErrorCode.QueryFailed],
    ['23503', TenancyDbErrorCode.QueryFailed],
  ])('maps SQLSTATE %s to %s and keeps the state', (sqlState, code) => {
    expect(mapDriverError(pgError(sqlState, 'x'))).toMatchObject({ code, sqlState });
  });

  it('keeps the violated constraint and a fixed detail that does not quote the driver message', () => {
    const error = mapDriverError(
      pgError('23505', 'duplicate key value (org_slug)=(acme)', 'organizations_org_slug_key'),
    );
    expect(error.constraint).toBe('organizations_org_slug_key');
    expect(error.detail).not.toContain('acme');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    ],
    [
      'a refused happy-eyeballs connect',
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
    ],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a closed PGlite', new Error('PGlite is closed')],
    ['a statement the server never answered (pg query_timeout)', new Error('Query read timeout')],
  ])('maps %s to Unavailable', (_name, err) => {
    expect(mapDriverError(err).code).toBe(TenancyDbErrorCode.Unavailable);
  });

  it('tells a lost connection from a transaction lost to a concurrent one, whose connection is fine', () => {
    expect(connectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(connectionLost(pgError('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(connectionLost(pgError('40P01', 'deadlock detected'))).toBe(false);
    expect(connectionLost(pgError('40001', 'could not serialize access'))).toBe(false);
    expect(connectionLost(pgError('42P01', 'relation does not exist'))).toBe(false);
  });
});
