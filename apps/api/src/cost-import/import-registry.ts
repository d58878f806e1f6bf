import { Injectable } from '@nestjs/common';
import { type ImportJob, isFinished } from './import-job.js';

/** Finished reports kept for `GET .../costs/import/:id`; older ones are forgotten first. */
const KEPT_FINISHED = 1000;

/**
 * Import state, in process. The import itself runs in this process (the upload is a temp file
 * here), so its state lives and dies with it: a restart forgets reports (GET answers 404) and an
 * import cut short by a shutdown is marked failed before the process exits, its staging table
 * dropped and the previous data left as it was. The rows an import wrote carry its id in
 * `x_run_id`, which outlives the report. No central table or migration is needed for that.
 *
 * It also runs imports of one org one after the other: two replaces of overlapping slices must not
 * interleave, and a 2-core machine gains nothing from parallel loads of one org.
 */
@Injectable()
export class ImportRegistry {
  private readonly jobs = new Map<string, ImportJob>();
  private readonly tails = new Map<string, Promise<void>>();

  add(job: ImportJob): void {
    this.jobs.set(job.id, job);
    this.evict();
  }

  /** The org's job with this id; another org's id is "not found", never "forbidden". */
  find(org: string, id: string): ImportJob | undefined {
    const job = this.jobs.get(id);
    return job && job.org === org ? job : undefined;
  }

  running(): ImportJob[] {
    return [...this.jobs.values()].filter((job) => !isFinished(job));
  }

  /** Runs `work` after every earlier import of the org has finished. */
  async exclusive<T>(org: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(org) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => (release = resolve));
    const chained = previous.then(() => tail);
    this.tails.set(org, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(org) === chained) this.tails.delete(org);
    }
  }

  private evict(): void {
    const finished = [...this.jobs.values()].filter(isFinished);
    for (const job of finished.slice(0, Math.max(0, finished.length - KEPT_FINISHED)))
      this.jobs.delete(job.id);
  }
}
