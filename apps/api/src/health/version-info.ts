import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface VersionInfo {
  service: string;
  version: string;
  release: string;
  release_timestamp: string;
}

const STARTED_AT = new Date().toISOString();

/** The version settings of the validated configuration (so `.env.local` applies to them too). */
export type VersionSettings = Partial<
  Record<'APP_VERSION' | 'RELEASE_VERSION' | 'RELEASE_TIMESTAMP', string>
>;

const PACKAGE_NAME = 'finops-api';

/**
 * The version in this installation's package.json: the nearest one above this module named
 * PACKAGE_NAME (the repository's in a clone, /app/package.json in the image), whatever the working
 * directory (another project's package.json there named its version). 0.0.0 without one.
 */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // None here (or unreadable): look further up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

let installed: string | undefined;

/** APP_VERSION / RELEASE_VERSION / RELEASE_TIMESTAMP, else package.json and the start time. */
export function versionInfo(settings: VersionSettings): VersionInfo {
  const version = settings.APP_VERSION ?? `v${(installed ??= packageVersion())}`;
  return {
    service: PACKAGE_NAME,
    version,
    release: settings.RELEASE_VERSION ?? version,
    release_timestamp: settings.RELEASE_TIMESTAMP ?? STARTED_AT,
  };
}
