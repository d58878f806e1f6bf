import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Readable, Transform } from 'node:stream';
import { PlatformError, PlatformErrorCode } from '../errors/platform-errors.js';

/** Bodies of up to the body limit that may be received at once on an instance... */
export const BODIES_IN_FLIGHT = 16;
/** ...and by one caller (its key, or its address without a known key). */
export const BODIES_IN_FLIGHT_PER_CALLER = 2;

/**
 * The bytes of JSON bodies being received, on the instance and per caller. Fastify holds a JSON
 * body whole until it has all arrived, and nothing else bounds how many arrive at once: the rate
 * limits count a request once its body is parsed, and a body may take as long as it likes while
 * bytes keep coming (the idle timeout cuts silent connections only). One org key holding 100
 * connections with all but a byte of a 10 MB body each held 1 GB of the server, a few hundred
 * more its whole memory, for every tenant. A body is counted at its declared length from its
 * headers until its exchange ends, and one that does not fit is refused before it is read; a body
 * sent without a length (chunked) is counted as its bytes arrive, and refused once they do not fit
 * (counted at the body limit from the start, a caller could send only two at once, however small).
 */
export class BodyBudget {
  private held = 0;
  private readonly byCaller = new Map<string, number>();
  readonly total: number;
  readonly perCaller: number;

  constructor(readonly bodyLimit: number) {
    this.total = BODIES_IN_FLIGHT * bodyLimit;
    this.perCaller = BODIES_IN_FLIGHT_PER_CALLER * bodyLimit;
  }

  /** Bytes being received (for tests and metrics). */
  get bytes(): number {
    return this.held;
  }

  /**
   * Counts a body of `declared` bytes (undefined: chunked, counted from its first byte as it
   * arrives) of `caller`; returns its reservation, or the 503 when it does not fit.
   */
  reserve(caller: string, declared: number | undefined): BodyReservation | PlatformError {
    const bytes = Math.max(1, Math.min(declared ?? 1, this.bodyLimit));
    const refusal = this.take(caller, bytes);
    if (refusal) return refusal;
    let counted = bytes;
    let released = false;
    return {
      received: (more) => {
        if (declared !== undefined || released) return undefined;
        // The first byte was counted with the headers; the body limit is Fastify's to enforce.
        const add = Math.min(more, this.bodyLimit - counted);
        if (add <= 0) return undefined;
        const busy = this.take(caller, add);
        if (!busy) counted += add;
        return busy;
      },
      release: () => {
        if (released) return;
        released = true;
        this.give(caller, counted);
      },
    };
  }

  private take(caller: string, bytes: number): PlatformError | undefined {
    const mine = this.byCaller.get(caller) ?? 0;
    if (this.held + bytes > this.total || mine + bytes > this.perCaller)
      return busy(this.held + bytes > this.total);
    this.held += bytes;
    this.byCaller.set(caller, mine + bytes);
    return undefined;
  }

  private give(caller: string, bytes: number): void {
    this.held -= bytes;
    const left = (this.byCaller.get(caller) ?? bytes) - bytes;
    if (left > 0) this.byCaller.set(caller, left);
    else this.byCaller.delete(caller);
  }
}

/** The bytes of one body, counted until `release` (idempotent) when its exchange ends. */
export interface BodyReservation {
  /** For a body sent without a length: `bytes` more arrived; the 503 when they do not fit. */
  received(bytes: number): PlatformError | undefined;
  release(): void;
}

/**
 * A chunked body's stream, counting its bytes as they arrive (BodyReservation.received), failing
 * with the 503 once they do not fit.
 */
export function countedAsReceived(payload: Readable, reservation: BodyReservation): Readable {
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const refusal = reservation.received(chunk.length);
      if (refusal) callback(refusal);
      else callback(null, chunk);
    },
  });
  payload.once('error', (err) => counted.destroy(err));
  return payload.pipe(counted);
}

/** The releases of the exchanges of each connection that have not ended yet. */
const pendingOnSocket = new WeakMap<Socket, Set<() => void>>();

/**
 * Calls `release` once the exchange ends: when its response closes, or when its connection does.
 * The response alone is not enough: the response of a pipelined request (HTTP/1.1) waits for the
 * answers before it, and Node never closes one still waiting when the connection goes, so a client
 * that sent a slow request and then a body kept that body's bytes counted for good (and two such
 * connections refused every later body of their address, sixteen every body of the instance).
 * One listener per connection rather than one per request: pipelined requests may be many.
 */
export function releaseWhenExchangeEnds(
  request: IncomingMessage,
  response: ServerResponse,
  release: () => void,
): void {
  const socket = request.socket;
  let pending = pendingOnSocket.get(socket);
  if (!pending) {
    const releases = new Set<() => void>();
    pending = releases;
    pendingOnSocket.set(socket, releases);
    socket.once('close', () => {
      for (const each of releases) each();
      releases.clear();
    });
  }
  const releases = pending;
  releases.add(release);
  response.once('close', () => {
    releases.delete(release);
    release();
  });
}

const busy = (instance: boolean) =>
  new PlatformError(
    PlatformErrorCode.ServiceUnavailable,
    instance
      ? 'Too many request bodies are being received by this instance at once; retry shortly.'
      : 'Too many of your request bodies are being received at once; send them once the others have arrived.',
    // The body is not wanted: the connection closes after the answer instead of reading it.
    { headers: { 'Retry-After': '1', Connection: 'close' }, publicDetail: true },
  );
