import { ProbeModule } from '#test/probe.module';
import { startTestApp } from '#test/test-app';

describe('graceful shutdown', () => {
  it('finishes an in-flight request, refuses new connections, then closes the engines', async () => {
    const t = await startTestApp({}, { imports: [ProbeModule] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = await t.app.getUrl();
    const inFlight = fetch(`${url.replace('[::1]', '127.0.0.1')}/api/v1/probe/slow?ms=400`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = t.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slept_ms: 400 });
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
