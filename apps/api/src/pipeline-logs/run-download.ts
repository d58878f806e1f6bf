import type { PipelineRunDetailDto, StepLogDto } from './dto/pipeline-logs-response.dto.js';
import { runSummaryCsv, stepsCsv } from './run-csv.js';

/** A run's steps, a page at a time, in step order. */
export type StepPages = AsyncIterable<StepLogDto[]>;

/** `text` indented by `depth` levels of two spaces, as JSON.stringify(value, null, 2) nests it. */
const indent = (text: string, depth: number) => text.replace(/\n/g, `\n${'  '.repeat(depth)}`);

/**
 * The run detail as JSON.stringify(detail, null, 2) writes it, its steps written a page at a time as
 * they are read, so that the whole of a long log is sent while one page of it is held.
 */
export async function* runDetailJson(
  run: Omit<PipelineRunDetailDto, 'steps'>,
  pages: StepPages,
): AsyncGenerator<string> {
  const empty = JSON.stringify({ ...run, steps: [] }, null, 2);
  const closing = '[]\n}';
  yield empty.slice(0, -closing.length);
  let first = true;
  for await (const steps of pages)
    for (const step of steps) {
      yield `${first ? '[' : ','}\n    ${indent(JSON.stringify(step, null, 2), 2)}`;
      first = false;
    }
  yield first ? closing : '\n  ]\n}';
}

/** A "Run Summary" Field/Value block, then the "Steps" table, written a page of steps at a time. */
export async function* runDetailCsv(run: Omit<PipelineRunDetailDto, 'steps'>, pages: StepPages) {
  yield runSummaryCsv(run);
  for await (const steps of pages) if (steps.length > 0) yield stepsCsv(steps);
}
