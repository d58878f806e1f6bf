import { hash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { type PlatformError, rateLimited } from '../errors/platform-errors.js';
import type { FleetWindow, SharedAuthFailures, SharedReservation } from './shared-auth-failures.js';

export const AUTH_FAILURE_WINDOW_MS = 60_000;
const WINDOW_MS = AUTH_FAILURE_WINDOW_MS;
/**
 * How often a lookup asks Redis again while other instances' lookups of its address fill the
 * budget (none of this instance's to wait for): they end in a warehouse query's time.
 */
const BUSY_RETRY_MS = 50;
/**
 * How long a lookup waits for the fleet's lookups in flight before it starts on this instance's
 * count alone: reservations an instance could not settle (it died, Redis failed to answer) count
 * until their window ends, and would hold up every new key of the address until then.
 */
const BUSY_WAIT_MAX_MS = 5_000;
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

/** A lookup of a key not known yet, counted in flight: end it once its answer is known. */
export interface LookupTicket {
  /** `failed`: the key was unknown (a failed authentication of the address). Once only. */
  end(failed: boolean): void;
}

/**
 * Org keys that failed authentication, per client IP, in fixed one-minute windows: counted on this
 * instance, and with `shared` (REDIS_URL) in Redis as well, every instance then holding an address
 * to one budget (its lookups reserved there before they start; see SharedAuthFailures). Once an IP has failed `limit` times in its window, keys this instance does not know
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
  /** Per IP, its window in Redis as last seen (failures only grow within a window). */
  private readonly fleet = new LRUCache<string, Window>({ max: 100_000, ttl: WINDOW_MS });
  /** Per IP and key hash: the keys that failed from the address within the last window. */
  private readonly failedKeys = new LRUCache<string, true>({ max: 100_000, ttl: WINDOW_MS });

  constructor(
    readonly limit: number,
    private readonly now: () => number = Date.now,
    private readonly shared?: SharedAuthFailures,
  ) {}

  /** Seconds until `ip` may try an unknown key again; 0 when it may now. */
  retryAfterSeconds(ip: string): number {
    const key = clientAddressKey(ip);
    const now = this.now();
    let endsAt = 0;
    for (const w of [this.windows.get(key), this.fleet.get(key)])
      if (w && w.failures >= this.limit && w.endsAt > now) endsAt = Math.max(endsAt, w.endsAt);
    return endsAt ? Math.max(1, Math.ceil((endsAt - now) / 1000)) : 0;
  }

  /** The failures of `ip` in its open window: this instance's, or every instance's as last seen. */
  private failuresOf(ip: string): number {
    const now = this.now();
    let failures = 0;
    for (const w of [this.windows.get(ip), this.fleet.get(ip)])
      if (w && w.endsAt > now) failures = Math.max(failures, w.failures);
    return failures;
  }

  private observe(ip: string, w: FleetWindow | undefined): void {
    if (w && w.msLeft > 0) this.fleet.set(ip, { failures: w.failures, endsAt: this.now() + w.msLeft });
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
    if (this.failuresOf(ip) + inFlight >= this.limit) return false;
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
   * An early lookup (tryEarlyLookup) also reserved in Redis when it is shared; undefined when the
   * request must take the ordinary path instead (this instance's or the fleet's budget is full).
   */
  async startEarlyLookup(address: string): Promise<LookupTicket | undefined> {
    if (!this.tryEarlyLookup(address)) return undefined;
    const reserved = await this.reserveShared(clientAddressKey(address));
    if (reserved !== 'refused') return this.ticket(address, reserved);
    this.endEarlyLookup(address);
    return undefined;
  }

  /**
   * Whether `address` may look an unknown key up now (the guards' path; end the ticket once its
   * answer is known): as tryEarlyLookup, the lookups in flight count with the failures, so a burst
   * of made-up keys sent at once starts no more lookups than the limit (each of 300 at once was
   * looked up, with 60 failures a minute allowed), on every instance together when shared. One
   * past them waits for a lookup in flight to end and asks again, rather than being refused: keys
   * that turn out valid (a pipeline service calling for many orgs from one address, its cache
   * cold) are only delayed. The 429 once the address is locked out.
   */
  async admitLookup(address: string): Promise<LookupTicket | PlatformError> {
    const ip = clientAddressKey(address);
    const since = this.now();
    for (;;) {
      if (this.tryEarlyLookup(address)) {
        const reserved = await this.reserveShared(ip);
        if (reserved !== 'refused') return this.ticket(address, reserved);
        const lockedOut = this.lockout(address);
        if (lockedOut) {
          this.endEarlyLookup(address);
          return lockedOut;
        }
        if (this.now() - since >= BUSY_WAIT_MAX_MS) return this.ticket(address, undefined);
        this.endEarlyLookup(address);
        // Other instances' lookups of this address fill its budget: none of ours to wait for.
        if (!this.early.get(ip)) {
          await sleep(BUSY_RETRY_MS);
          continue;
        }
      } else if (!this.early.get(ip)) return this.lockout(address, 1) as PlatformError;
      await this.nextLookupEnd(ip);
    }
  }

  private nextLookupEnd(ip: string): Promise<void> {
    let waiting = this.lookupEnded.get(ip);
    if (!waiting) {
      let settle = () => undefined as void;
      const ended = new Promise<void>((resolve) => (settle = resolve));
      waiting = { ended, settle };
      this.lookupEnded.set(ip, waiting);
    }
    return waiting.ended;
  }

  /** Undefined: not shared, or Redis does not answer (this instance's count alone decides). */
  private async reserveShared(ip: string): Promise<SharedReservation | 'refused' | undefined> {
    const answer = await this.shared?.reserve(ip, this.limit);
    if (!answer) return undefined;
    this.observe(ip, answer);
    return answer.admitted ? answer.reservation : 'refused';
  }

  private ticket(address: string, reservation: SharedReservation | undefined): LookupTicket {
    let ended = false;
    return {
      end: (failed) => {
        if (ended) return;
        ended = true;
        const ip = clientAddressKey(address);
        if (failed) this.recordLocal(ip);
        this.endEarlyLookup(address);
        if (reservation) void this.shared?.settle(reservation, failed).then((w) => this.observe(ip, w));
        else if (failed) this.recordShared(ip);
      },
    };
  }

  /** The 429 of an address whose keys failed too often this minute (Retry-After at least `atLeast` s); undefined when it may try. */
  lockout(address: string, atLeast = 0): PlatformError | undefined {
    const wait = Math.max(this.retryAfterSeconds(address), atLeast);
    return wait > 0
      ? rateLimited(this.limit, wait, 'failed authentications from this address a minute')
      : undefined;
  }

  /**
   * Whether a lookup of `keyHash` that failed is a failure to count: not when the same key failed
   * from the address within the window. The auth cache forgets an invalid key after 2 s, so a
   * scheduler still sending its revoked key every few seconds counted once each time, locking its
   * address out (and the new key it was given next, refused with 429); a guesser's keys all differ.
   */
  newFailure(address: string, keyHash: string): boolean {
    const key = `${clientAddressKey(address)} ${keyHash}`;
    if (this.failedKeys.has(key)) return false;
    this.failedKeys.set(key, true);
    return true;
  }

  /** A failure no ticket counted (a wrong root key, a lookup not admitted through admitLookup). */
  recordFailure(address: string): void {
    const ip = clientAddressKey(address);
    this.recordLocal(ip);
    this.recordShared(ip);
  }

  private recordShared(ip: string): void {
    void this.shared?.recordFailure(ip).then((w) => this.observe(ip, w));
  }

  private recordLocal(ip: string): void {
    const at = this.now();
    let w = this.windows.get(ip);
    if (!w || w.endsAt <= at) {
      w = { failures: 0, endsAt: at + WINDOW_MS };
      this.windows.set(ip, w);
    }
    w.failures++;
  }
}
