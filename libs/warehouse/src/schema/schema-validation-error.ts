/**
 * Thrown once by `SchemaRegistry.load` with every problem found, so a broken config directory is
 * fixed in one pass instead of one error per restart.
 */
export class SchemaValidationError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: readonly string[],
  ) {
    super(
      `Invalid warehouse schemas in ${dir} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `- ${p}`).join('\n'),
    );
    this.name = 'SchemaValidationError';
  }
}
