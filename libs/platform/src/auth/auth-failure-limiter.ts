import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

const WINDOW_MS = 60_000;
/** The longest text an IP address takes (45 characters for an IPv4-mapped IPv6 one), a zone id included. */
const MAX_ADDRESS_LENGTH = 64;

/**
 * What a client address is counted under (here, and in the rate limits' keys): the address, or the
 * SHA-256 of a longer text, which no IP address is. With TRUST_PROXY_HOPS set, the address is an
 * X-Forwarded-For entry, any text up to the header limit when a client reaches the instance past
 * its proxy (or the setting counts one proxy too many): 5,000 failed keys sent under made-up 8 KB
 * addresses held 41 MB here for good (the windows stay until evicted, up to 100,000 of them).
 */
export function clientAddressKey(ip: string): string {
  return ip.length <= MAX_ADDRESS_LENGTH ? ip : `sha256:${hash('sha256', ip, 'base64url')}`;
}

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Org keys that failed authentication, per client IP on this instance, in fixed one-minute
 * windows. Once an IP has failed `limit` times in its window, keys this instance does not know
 * yet are refused for the rest of it without being looked up (each lookup is a warehouse query, a
 * BigQuery job in production), so guessing keys costs the guesser a minute per `limit` tries. Keys
 * already authenticated are not affected, and nothing is counted for a valid key, so a client
 * that uses its own keys never meets this limit, however many orgs it serves.
 */
export class AuthFailureLimiter {
  private readonly windows = new LRUCache<string, Window>({ max: 100_000, ttl: WINDOW_MS });
  /** Early lookups (before the body and the rate limits) in flight, per IP: see tryEarlyLookup. */
  private readonly early = new Map<string, number>();

  constructor(
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `ip` may try an unknown key again; 0 when it may now. */
  retryAfterSeconds(ip: string): number {
    const w = this.windows.get(clientAddressKey(ip));
    if (!w || w.failures < this.limit) return 0;
    return Math.max(1, Math.ceil((w.endsAt - this.now()) / 1000));
  }

  /**
   * Whether `ip` may have an unknown key looked up before its request is rate limited (an early
   * lookup, AuthService.refusalAfterLookup), counting it if so: only while its failures plus the
   * early lookups still in flight stay under the limit, so a burst of made-up keys sent at once
   * cannot start more lookups than the limit allows before the first failures are known. Past
   * that, the request takes the ordinary path (the rate limits first). Pair with endEarlyLookup.
   */
  tryEarlyLookup(address: string): boolean {
    const ip = clientAddressKey(address);
    const inFlight = this.early.get(ip) ?? 0;
    const w = this.windows.get(ip);
    const failures = w && w.endsAt > this.now() ? w.failures : 0;
    if (failures + inFlight >= this.limit) return false;
    this.early.set(ip, inFlight + 1);
    return true;
  }

  endEarlyLookup(address: string): void {
    const ip = clientAddressKey(address);
    const inFlight = (this.early.get(ip) ?? 1) - 1;
    if (inFlight > 0) this.early.set(ip, inFlight);
    else this.early.delete(ip);
  }

  recordFailure(address: string): void {
    const ip = clientAddressKey(address);
    const at = this.now();
    let w = this.windows.get(ip);
    if (!w || w.endsAt <= at) {
      w = { failures: 0, endsAt: at + WINDOW_MS };
      this.windows.set(ip, w);
    }
    w.failures++;
  }
}
