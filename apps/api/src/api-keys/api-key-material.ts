import { randomBytes } from 'node:crypto';

/** 24 random bytes are exactly 32 base64url characters (no padding): 192 bits. */
const RANDOM_BYTES = 24;
const FINGERPRINT_LENGTH = 4;

/** `{org}_api_` + 32 URL-safe random characters. */
export function generateApiKey(org: string): string {
  return `${org}_api_${randomBytes(RANDOM_BYTES).toString('base64url')}`;
}

/** The last 4 characters of the plaintext key, shown so users can tell their keys apart. */
export function keyFingerprint(apiKey: string): string {
  return apiKey.slice(-FINGERPRINT_LENGTH);
}

/** The fingerprint of a key stored without one (by the system this API replaces): its hash's end. */
export function hashFingerprint(keyHash: string): string {
  return keyHash.slice(-FINGERPRINT_LENGTH);
}

/** The encryption context binds a stored copy to its org: another org's row cannot decrypt it. */
export function keyEncryptionContext(org: string): string {
  return `org_api_key:${org}`;
}
