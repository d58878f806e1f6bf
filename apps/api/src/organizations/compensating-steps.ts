/** A named step failed; `cause` is the original error (logged, never sent to the client). */
export class StepFailedError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StepFailedError';
  }
}

interface Undo {
  step: string;
  undo: () => Promise<unknown>;
}

/**
 * Runs named steps over several stores and, when one fails, takes back what the earlier ones (and
 * the failing one, as far as it got) wrote, newest first. An undo is registered before its step
 * runs, so it must cope with a step that stopped half-way (or never started).
 */
export class CompensatingSteps {
  private readonly undos: Undo[] = [];

  async run<T>(step: string, action: () => Promise<T>, undo?: () => Promise<unknown>): Promise<T> {
    if (undo) this.undos.push({ step, undo });
    try {
      return await action();
    } catch (cause) {
      throw new StepFailedError(step, cause);
    }
  }

  /** Runs every undo, newest first, even after one fails; returns the steps that could not be undone. */
  async rollback(onUndoFailure: (step: string, err: unknown) => void): Promise<string[]> {
    const failed: string[] = [];
    for (const { step, undo } of [...this.undos].reverse()) {
      try {
        await undo();
      } catch (err) {
        onUndoFailure(step, err);
        failed.push(step);
      }
    }
    this.undos.length = 0;
    return failed;
  }
}
