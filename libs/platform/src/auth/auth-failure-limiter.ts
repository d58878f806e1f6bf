import { hash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';
import { type PlatformError, rateLimited } from '../errors/platform-errors.js';

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
  if (ip.length > MAX_ADDRESS_LENGTH) return `sha256:${hash('sha256', ip, 'base64url')}`;
  return ip.includes(':') ? (ipv6Subscriber(ip) ?? ip) : ip;
}

/**
 * An IPv6 client as one subscriber: its /64 (`2001:db8:1:2::/64`), the least a network hands one
 * (RFC 6177), where a host picks any address it likes (SLAAC privacy addresses change by design).
 * Per address, one client had 2^64 fresh limits: a new source address for each made-up key or
 * request. An IPv4-mapped address (a dual-stack listener) is its IPv4 address. Undefined when the
 * text is no IPv6 address.
 */
const MAPPED_IPV4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

function ipv6Subscriber(ip: string): string | undefined {
  // How Node writes an IPv4 client of a dual-stack listener (HOST=::): the common case, at once.
  const mapped = MAPPED_IPV4.exec(ip);
  if (mapped) return mapped[1];
  const zone = ip.indexOf('%');
  const address = zone === -1 ? ip : ip.slice(0, zone);
  if (!isIPv6(address)) return undefined;
  const g = ipv6Groups(address);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff)
    return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  return `${g[0].toString(16)}:${g[1].toString(16)}:${g[2].toString(16)}:${g[3].toString(16)}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 ending as two). */
function ipv6Groups(address: string): number[] {
  const hex = address.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_, a: string, b: string, c: string, d: string) =>
      `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, tail] = hex.split('::');
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0');
  return [...before, ...zeros, ...after].map((group) => parseInt(group, 16));
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
  /** Lookups of unknown keys in flight, per IP: see tryEarlyLookup and admitLookup. */
  private readonly early = new Map<string, number>();
  /** Per IP with lookups in flight: settled when one of them ends (see admitLookup). */
  private readonly lookupEnded = new Map<string, { ended: Promise<void>; settle: () => void }>();

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
    const waiting = this.lookupEnded.get(ip);
    this.lookupEnded.delete(ip);
    waiting?.settle();
  }

  /**
   * Whether `address` may look an unknown key up now (the guards' path; pair with endEarlyLookup):
   * as tryEarlyLookup, the lookups in flight count with the failures, so a burst of made-up keys
   * sent at once starts no more lookups than the limit (each of 300 at once was looked up, with 60
   * failures a minute allowed). One past them waits for a lookup in flight to end and asks again,
   * rather than being refused: keys that turn out valid (a pipeline service calling for many orgs
   * from one address, its cache cold) are only delayed. The 429 once the address is locked out.
   */
  async admitLookup(address: string): Promise<PlatformError | undefined> {
    const ip = clientAddressKey(address);
    for (;;) {
      if (this.tryEarlyLookup(address)) return undefined;
      if (!this.early.get(ip)) return this.lockout(address, 1);
      let waiting = this.lookupEnded.get(ip);
      if (!waiting) {
        let settle = () => undefined as void;
        const ended = new Promise<void>((resolve) => (settle = resolve));
        waiting = { ended, settle };
        this.lookupEnded.set(ip, waiting);
      }
      await waiting.ended;
    }
  }

  /** The 429 of an address whose keys failed too often this minute (Retry-After at least `atLeast` s); undefined when it may try. */
  lockout(address: string, atLeast = 0): PlatformError | undefined {
    const wait = Math.max(this.retryAfterSeconds(address), atLeast);
    return wait > 0
      ? rateLimited(this.limit, wait, 'failed authentications from this address a minute')
      : undefined;
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
