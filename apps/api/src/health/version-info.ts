import fs from 'node:fs';
import path from 'node:path';

export interface VersionInfo {
  service: string;
  version: string;
  release: string;
  release_timestamp: string;
}

const STARTED_AT = new Date().toISOString();

/** APP_VERSION / RELEASE_VERSION / RELEASE_TIMESTAMP, else package.json and the start time. */
export function versionInfo(): VersionInfo {
  let pkgVersion = '0.0.0';
  try {
    pkgVersion = (
      JSON.parse(fs.readFileSync(path.resolve(process.cwd(), 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    // Running without package.json beside the process (unusual); the env vars still apply.
  }
  const version = process.env.APP_VERSION ?? `v${pkgVersion}`;
  return {
    service: 'finops-api',
    version,
    release: process.env.RELEASE_VERSION ?? version,
    release_timestamp: process.env.RELEASE_TIMESTAMP ?? STARTED_AT,
  };
}
