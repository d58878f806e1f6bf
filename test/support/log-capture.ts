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
}
