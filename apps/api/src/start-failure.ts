import { QUERY_PASSWORD, URL_PASSWORD } from '#platform';

/**
 * The message of a cause that is not an Error: supabase-js reports a failed call (Supabase
 * unreachable, a key it refuses) as a plain object `{ message, details, hint, code }`, which was
 * printed as "caused by: [object Object]", the reason lost.
 */
function messageOf(e: unknown): string {
  const message = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message !== '' ? message : String(e);
}

/**
 * The reason supabase-js keeps of a call that could not be made: its error object's `details` hold
 * the fetch error, then `Caused by: Error: connect ECONNREFUSED … (ECONNREFUSED)` and that error's
 * stack. Its message alone, "TypeError: fetch failed", said nothing of why. The first line only.
 */
function detailsCause(e: unknown): string | undefined {
  const details = typeof e === 'object' && e !== null ? (e as { details?: unknown }).details : undefined;
  return typeof details === 'string' ? /\n\nCaused by: ([^\n]+)/.exec(details)?.[1] : undefined;
}

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
    const texts = e instanceof Error ? [e.message || e.name] : [messageOf(e), detailsCause(e)];
    for (const text of texts)
      if (text !== undefined && !lines.some((l) => l.endsWith(text)))
        lines.push(lines.length ? `  caused by: ${text}` : text);
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
