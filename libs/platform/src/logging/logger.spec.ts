import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, isoTimeOncePerMs } from './logger.js';

afterEach(() => vi.restoreAllMocks());

describe('log line timestamps', () => {
  it("are pino's isoTime for the current millisecond, as the clock moves", () => {
    const now = vi.spyOn(Date, 'now');
    for (const ms of [
      Date.UTC(2026, 11, 5, 14, 0, 0, 1),
      Date.UTC(2026, 11, 5, 14, 0, 0, 1),
      1_800_000_000_123,
    ]) {
      now.mockReturnValue(ms);
      expect(isoTimeOncePerMs()).toBe(pino.stdTimeFunctions.isoTime());
    }
    now.mockReturnValue(Date.UTC(2026, 11, 31, 23, 59, 59, 999));
    expect(isoTimeOncePerMs()).toBe(',"time":"2026-12-31T23:59:59.999Z"');
    now.mockReturnValue(Date.UTC(2027, 0, 1));
    expect(isoTimeOncePerMs()).toBe(',"time":"2027-01-01T00:00:00.000Z"');
  });

  it('stamp each line with the time it is written', () => {
    const lines: { time: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as { time: string });
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(Date.UTC(2026, 11, 5, 14, 0, 0, 7));
    logger.info('first');
    now.mockReturnValue(Date.UTC(2026, 11, 5, 14, 0, 1, 8));
    logger.info('second');
    expect(lines.map((l) => l.time)).toEqual(['2026-12-05T14:00:00.007Z', '2026-12-05T14:00:01.008Z']);
  });
});
