import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  bufferedDestination,
  createLogger,
  isoTimeOncePerMs,
  LOG_BUFFER_BYTES,
  LOG_FLUSH_MS,
} from './logger.js';

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

describe('the buffered log destination', () => {
  it('writes a quiet line within LOG_FLUSH_MS, a burst at once, and the rest at exit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-dest-'));
    const file = path.join(dir, 'out.log');
    const dest = bufferedDestination(file);
    await new Promise((resolve) => dest.once('ready', resolve));
    const logger = createLogger({ level: 'info', destination: dest });
    const written = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    try {
      logger.info('quiet line — é, 日本');
      expect(written()).toBe('');
      await until(() => written().includes('quiet line — é, 日本'), LOG_FLUSH_MS * 4);

      const burst = 'x'.repeat(200);
      for (let i = 0; i < Math.ceil(LOG_BUFFER_BYTES / 200) + 1; i++) logger.info({ i }, burst);
      await until(() => written().includes('"i":0'), LOG_FLUSH_MS / 2);

      logger.info('last line');
      dest.flushSync(); // what pino does on process exit
      expect(written()).toContain('last line');
    } finally {
      dest.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Waits until `done` holds, failing after `withinMs`. */
async function until(done: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
