import lockfile from 'proper-lockfile';
import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';

export interface PgliteFolderLockOptions {
  /** The setting that chose the folder (PGLITE_DIR, DATA_DIR), named when another process holds it. */
  setting?: string;
  /**
   * A lock not refreshed for this long is taken over: its process died without releasing it.
   * proper-lockfile refreshes a held lock every half of it and does not go below 2 s. Every process
   * opening the folder must use the same value, or one takes the lock another still refreshes.
   */
  staleMs?: number;
  /**
   * The lock was taken over or removed while held (the process then may not have the folder alone):
   * it is taken again, and this is called once more, with the refusal, when that fails.
   */
  onLost?: (error: Error) => void;
}

const DEFAULT_STALE_MS = 10_000;

/**
 * PGlite opens its folder without a lock: a second process would run its own Postgres on the same
 * files, each seeing only its own writes, and the last to close overwrites the other's rows. The lock
 * is a `<folder>.lock` directory beside the folder, refreshed while held and removed on close or exit.
 * An open waits one stale period before giving up, so a restart right after a crash takes over the
 * lock the dead process left instead of failing.
 */
export async function lockPgliteFolder(
  folder: string,
  options: PgliteFolderLockOptions = {},
): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  let release: (() => Promise<void>) | null = null;
  let closed = false;
  /**
   * A lock lost while held (a refresh came too late: the process was frozen or its event loop
   * blocked past the stale period, and another process took the lock over, or removed it) is taken
   * again: proper-lockfile stops refreshing it, and the folder would stay unlocked for the rest of
   * this process's life, open to any other process starting on it.
   */
  const take = (): Promise<() => Promise<void>> =>
    lockfile.lock(folder, {
      stale: staleMs,
      retries: { retries: Math.ceil(staleMs / 1_000) + 1, factor: 1, minTimeout: 1_000, maxTimeout: 1_000 },
      onCompromised: (error) => {
        release = null;
        // Without a handler proper-lockfile throws from a timer, which would end the process.
        options.onLost?.(error);
        if (closed) return;
        take().then(
          (again) => {
            if (closed) void again().catch(() => undefined);
            else release = again;
          },
          (again: unknown) => options.onLost?.(lockError(folder, options, again)),
        );
      },
    });
  try {
    release = await take();
  } catch (cause) {
    throw lockError(folder, options, cause);
  }
  return async () => {
    closed = true;
    const held = release;
    release = null;
    await held?.();
  };
}

function lockError(folder: string, options: PgliteFolderLockOptions, cause: unknown): TenancyDbError {
  const held = (cause as { code?: unknown }).code === 'ELOCKED';
  const setting = options.setting === undefined ? '' : ` (${options.setting})`;
  return new TenancyDbError(
    TenancyDbErrorCode.Unavailable,
    held
      ? `The embedded tenancy database ${folder}${setting} is in use by another process (a running ` +
          'server?): only one process at a time can open it; stop the other process, or give this one ' +
          `its own ${options.setting ?? 'folder'}`
      : `The embedded tenancy database ${folder}${setting} could not be locked`,
    { cause },
  );
}
