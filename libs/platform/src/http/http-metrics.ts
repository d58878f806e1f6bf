import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The process's own metrics (CPU, memory, event-loop lag, GC), collected once per process: each
 * collection starts an event-loop delay monitor (a native timer firing every 10 ms) and a GC
 * observer that prom-client never stops, so a registry of them per app would leave both running
 * after every app a test process starts and closes.
 */
let processMetrics: Registry | undefined;

function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics, prefix: 'finops_api_' });
  }
  return processMetrics;
}

/** Prometheus metrics of one app instance (its own registry, so tests can run several apps). */
export class HttpMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly process = processRegistry();

  constructor() {
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /**
   * The series of each (method, route template, status), bound once: prom-client otherwise hashes
   * the labels of both metrics on every request. Bounded like the series themselves (templates,
   * not paths; the status codes the API answers).
   */
  private readonly series = new Map<
    string,
    {
      counter: ReturnType<HttpMetrics['requests']['labels']>;
      histogram: ReturnType<HttpMetrics['latency']['labels']>;
    }
  >();

  observe(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let bound = this.series.get(id);
    if (!bound) {
      const labels = { method, route, status: String(status) };
      bound = { counter: this.requests.labels(labels), histogram: this.latency.labels(labels) };
      this.series.set(id, bound);
    }
    bound.counter.inc();
    bound.histogram.observe(seconds);
  }

  /** The process's metrics, then this app's: one exposition (the two never share a name). */
  async render(): Promise<string> {
    const [own, processWide] = await Promise.all([this.registry.metrics(), this.process.metrics()]);
    return `${processWide}\n${own}`;
  }
}
