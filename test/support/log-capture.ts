import { Writable } from 'node:stream';

/** A log destination for createApp that keeps every line the app writes, for tests to read. */
export class LogCapture extends Writable {
  lines: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(chunk.toString());
    done();
  }

  get text(): string {
    return this.lines.join('');
  }

  /** The JSON lines written so far that `keep` (given the raw line) selects, parsed. */
  entries(keep: (line: string) => boolean): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter(keep)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
