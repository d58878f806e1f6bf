import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bufferedDestination, LOG_BUFFER_MAX_BYTES, LOG_FLUSH_MS } from './logger.js';

describe('log lines while stdout is not read', () => {
  it('keeps at most LOG_BUFFER_MAX_BYTES waiting and drops the lines past it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-log-'));
    const fifo = path.join(dir, 'stdout');
    execFileSync('mkfifo', [fifo]);
    // Opened for reading and writing so that the open does not wait for a reader; nobody reads it,
    // so the pipe fills after its first 64 KiB, as a stalled log collector's would.
    const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const dest = bufferedDestination(fd);
    let dropped = 0;
    dest.on('drop', () => dropped++);
    const line = `${JSON.stringify({ message: 'request completed', path: '/x'.repeat(150) })}\n`;
    const lines = Math.ceil((LOG_BUFFER_MAX_BYTES * 1.5) / line.length);
    try {
      for (let i = 0; i < lines; i++) dest.write(line);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const waiting = (dest as unknown as { _len: number })._len;
      expect(waiting).toBeLessThanOrEqual(LOG_BUFFER_MAX_BYTES);
      expect(dropped).toBeGreaterThan(lines / 4);
    } finally {
      // A reader at last: what was kept is written, and the destination closes (its fd with it).
      const reader = fs.createReadStream(fifo).resume();
      await new Promise((resolve) => {
        dest.once('close', resolve);
        dest.end();
      });
      reader.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the periodic flush of a destroyed destination', () => {
  it('does not flush it: flush() throws once destroyed, an uncaught exception before its close', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const dest = bufferedDestination(fs.openSync('/dev/null', 'w'));
      dest.write('a line\n');
      dest.destroy();
      expect(() => vi.advanceTimersByTime(LOG_FLUSH_MS * 2)).not.toThrow();
    } finally {
      vi.useRealTimers();
    }
  });
});
