import fs from 'node:fs';
import path from 'node:path';

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

/** APP_VERSION / RELEASE_VERSION / RELEASE_TIMESTAMP, else package.json and the start time. */
export function versionInfo(settings: VersionSettings): VersionInfo {
  let pkgVersion = '0.0.0';
  try {
    pkgVersion = (
      JSON.parse(fs.readFileSync(path.resolve(process.cwd(), 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    // Running without package.json beside the process (unusual); the env vars still apply.
  }
  const version = settings.APP_VERSION ?? `v${pkgVersion}`;
  return {
    service: 'finops-api',
    version,
    release: settings.RELEASE_VERSION ?? version,
    release_timestamp: settings.RELEASE_TIMESTAMP ?? STARTED_AT,
  };
}
