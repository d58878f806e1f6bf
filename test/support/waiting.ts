/** Resolves once `condition` holds, polling every `everyMs`; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface CapturingLogger {
  lines: string[];
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that keeps every line as `level message`, to assert on what was (not) logged. */
export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  return {
    lines,
    log: (message) => void lines.push(`log ${message}`),
    warn: (message) => void lines.push(`warn ${message}`),
    error: (message) => void lines.push(`error ${message}`),
  };
}
