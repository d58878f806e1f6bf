import { QUERY_PASSWORD, URL_PASSWORD } from '#platform';

/**
 * What a start that failed prints: the error, then each cause under it (`caused by: …`), so that a
 * generic "The tenancy database is unavailable" comes with the reason ("connect ECONNREFUSED
 * 127.0.0.1:5433", "database \"x\" does not exist"). Messages only, no stacks; passwords of URLs
 * are masked.
 */
export function startFailureMessage(err: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; e !== undefined && e !== null && !seen.has(e) && lines.length < 6;) {
    seen.add(e);
    const text = e instanceof Error ? e.message || e.name : String(e);
    if (!lines.some((l) => l.endsWith(text))) lines.push(lines.length ? `  caused by: ${text}` : text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return lines.join('\n').replace(URL_PASSWORD, '$1***@').replace(QUERY_PASSWORD, '$1***');
}

/** What exitAfterFailedStart needs of the process. */
export interface ExitingProcess {
  once(event: 'exit', listener: () => void): unknown;
  exit(code: number): unknown;
}

/**
 * Ends a start that failed with status 1, its message (startFailureMessage) printed last: at exit,
 * after the log lines pino writes then (it flushes its buffered lines in an exit listener of its
 * own, registered when the logger was made), among them Nest's ERROR line for the error, stack
 * included. Printed before them, the message was followed by that stack, the last thing read.
 */
export function exitAfterFailedStart(
  err: unknown,
  proc: ExitingProcess = process,
  print: (text: string) => void = console.error,
): void {
  const message = `Fatal error at start: ${startFailureMessage(err)}`;
  proc.once('exit', () => print(message));
  proc.exit(1);
}
