import { startTestApp, type TestApp } from '#test/test-app';

/** The median time of `n` 404s of `path` through the real app. */
async function medianMs(t: TestApp, path: string, n = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await t.app.inject({ method: 'GET', url: path });
    times.push(performance.now() - started);
    expect(res.statusCode).toBe(404);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

/**
 * An unknown path is scrubbed of secrets twice (the 404's detail and the access line), before any
 * credentials or rate limits. The query-password pattern backtracked quadratically over a run of
 * `pass` after a `&`: a 16 KB path (what Node's header limit lets in) took ~100 ms per scrub, so
 * a client without a key held the event loop ~20 times longer than any other 404 of its size.
 */
describe('scrubbing an adversarial path', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('takes about as long as scrubbing any other path of its length', async () => {
    const adversarial = `/&${'pass'.repeat(3_900)}`;
    const ordinary = `/&${'abcd'.repeat(3_900)}`;
    await medianMs(t, ordinary, 2); // warm-up
    const [slow, usual] = [await medianMs(t, adversarial), await medianMs(t, ordinary)];
    expect(slow).toBeLessThan(usual * 4 + 25);
  });
});
