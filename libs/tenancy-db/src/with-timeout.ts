import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';

/** Rejects with TenancyDbError(Timeout) when `work` has not settled within `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TenancyDbError(TenancyDbErrorCode.Timeout, 'The tenancy database did not answer in time.'),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
