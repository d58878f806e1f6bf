import { LocalInvalidationBus } from '#platform';
import type { LatestRunRow, PipelineLogsRepository } from './pipeline-logs.repository.js';
import { PipelineLogsService } from './pipeline-logs.service.js';
import { PipelineStatusCache } from './pipeline-status.cache.js';

const NOW = new Date('2026-12-06T10:00:00Z');
const RUN: LatestRunRow = {
  pipeline_logging_id: 'run-1',
  pipeline_id: 'acme-subscription-costs-subscription_cost',
  status: 'PENDING',
  start_time: new Date('2026-12-06T09:59:59Z'),
};

/** A run log whose reads answer only when the test says so, with the rows it holds at that time. */
function slowRunLog() {
  const waiting: (() => void)[] = [];
  let rows: LatestRunRow[] = [];
  const repository = {
    latestRunsBetween: () =>
      new Promise<LatestRunRow[]>((resolve) => {
        const seen = rows;
        waiting.push(() => resolve(seen));
      }),
  } as unknown as PipelineLogsRepository;
  return {
    repository,
    write: (r: LatestRunRow[]) => (rows = r),
    answerAll: () => waiting.splice(0).forEach((answer) => answer()),
  };
}

describe('daily pipeline status read while a trigger invalidates it', () => {
  it('does not keep an answer read before the invalidation, so the triggered run shows at once', async () => {
    const bus = new LocalInvalidationBus();
    const cache = new PipelineStatusCache(bus);
    const log = slowRunLog();
    const logs = new PipelineLogsService(log.repository, cache);

    // The dashboard's status read starts; the run log has no run yet.
    const before = logs.dailyStatus('acme', NOW);
    // Meanwhile a trigger starts a run (its row is written) and clears the org's status.
    log.write([RUN]);
    await cache.invalidateOrg('acme');
    log.answerAll();
    expect((await before).pipelines.subscription_costs!.ran_today).toBe(false);

    // The next read must not be that earlier answer, kept after the invalidation for a minute.
    const after = logs.dailyStatus('acme', NOW);
    log.answerAll();
    expect(await after).toMatchObject({
      cached: false,
      pipelines: { subscription_costs: { ran_today: true, status: 'PENDING' } },
    });
    await bus.close();
  });

  it('still keeps an answer read after the last invalidation', async () => {
    const bus = new LocalInvalidationBus();
    const cache = new PipelineStatusCache(bus);
    const log = slowRunLog();
    const logs = new PipelineLogsService(log.repository, cache);
    await cache.invalidateOrg('acme');
    const first = logs.dailyStatus('acme', NOW);
    log.answerAll();
    await first;
    expect(await logs.dailyStatus('acme', NOW)).toMatchObject({ cached: true });
    await bus.close();
  });
});
