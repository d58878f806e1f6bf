import { type AppConfig, ShutdownState } from '#platform';
import type { Warehouse } from '#warehouse';
import { ApiKeyUsageRecorder } from './api-key-usage.recorder.js';

const KEY_A = '11111111-1111-4111-8111-111111111111';
const KEY_B = '22222222-2222-4222-8222-222222222222';

/** A warehouse whose UPDATEs wait until the test lets them finish; records the ids of each. */
function slowWarehouse() {
  const written: string[][] = [];
  const waiting: (() => void)[] = [];
  const warehouse = {
    query: (_sql: string, params: { ids: string[] }) =>
      new Promise<never[]>((resolve) => {
        waiting.push(() => {
          written.push([...params.ids]);
          resolve([]);
        });
      }),
  } as unknown as Warehouse; // only query() is used by the recorder
  const releaseAll = () => {
    for (const release of waiting.splice(0)) release();
  };
  return { warehouse, written, releaseAll, waiting };
}

// The timer never fires during a test: flushes are called, or happen at shutdown.
// Only env.KEY_USAGE_FLUSH_MS and SHUTDOWN_GRACE_MS are read.
const config = { env: { KEY_USAGE_FLUSH_MS: 3_600_000, SHUTDOWN_GRACE_MS: 10_000 } } as unknown as AppConfig;

describe('ApiKeyUsageRecorder', () => {
  it('writes at shutdown the keys used while a flush was already in flight', async () => {
    const { warehouse, written, releaseAll, waiting } = slowWarehouse();
    const recorder = new ApiKeyUsageRecorder(warehouse, config, new ShutdownState());
    recorder.record(KEY_A);
    const inFlight = recorder.flush();
    recorder.record(KEY_B);
    let done = false;
    const shutdown = recorder.beforeApplicationShutdown().then(() => (done = true));
    // Let every UPDATE (the one in flight, then any the shutdown starts) finish.
    while (!done) {
      releaseAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await shutdown;
    await inFlight;
    expect(waiting).toHaveLength(0);
    expect(written.flat().sort()).toEqual([KEY_A, KEY_B]);
  });
});
