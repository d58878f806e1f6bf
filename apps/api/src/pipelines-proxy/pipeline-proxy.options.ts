import type { DynamicModule } from '@nestjs/common';

/** How the API talks to the pipeline service. Production uses the defaults; tests shorten the times. */
export interface PipelineProxyOptions {
  /** Time to open the TCP connection. */
  connectTimeoutMs: number;
  /** Time from sending the request to the end of the response. A timed-out call is never retried. */
  requestTimeoutMs: number;
  /** Attempts per call, only where a retry cannot start a second run (see PipelineServiceClient). */
  maxAttempts: number;
  /** Wait before attempt 2, 3, ...; the last value repeats. */
  retryDelaysMs: number[];
  /**
   * Larger upstream bodies are dropped unread, the answer's status kept (the service answers with
   * small JSON documents: such a body explains nothing, and a 2xx without one is no run started).
   */
  maxResponseBytes: number;
  /**
   * A kept-alive connection unused this long is closed by us, before the service closes it as idle
   * (uvicorn does after 5 s, without saying so in a Keep-Alive header): a connection the service is
   * about to close is not sent the next run (a reset there looks like a run that may have started).
   */
  freeSocketTimeoutMs: number;
  breaker: {
    /** Calls in the rolling window before the breaker may open. */
    volumeThreshold: number;
    /** Failure percentage above which it opens. */
    errorThresholdPercentage: number;
    rollingCountTimeoutMs: number;
    /** Open → half-open after this long; one trial call then closes or reopens it. */
    resetTimeoutMs: number;
  };
  /** Triggers per org per minute through this API. */
  triggerLimitPerMinute: number;
  /**
   * At shutdown, calls still waiting for the service are cut this long before SHUTDOWN_GRACE_MS
   * ends (at most half of it), so their callers are answered, and run-all records its batch, before
   * the process is stopped.
   */
  shutdownMarginMs: number;
}

export const DEFAULT_PIPELINE_PROXY_OPTIONS: PipelineProxyOptions = {
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  maxAttempts: 3,
  retryDelaysMs: [1_000, 2_000],
  maxResponseBytes: 1024 * 1024,
  freeSocketTimeoutMs: 4_000,
  breaker: {
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    rollingCountTimeoutMs: 30_000,
    resetTimeoutMs: 30_000,
  },
  triggerLimitPerMinute: 30,
  shutdownMarginMs: 3_000,
};

export const PIPELINE_PROXY_OPTIONS = Symbol('PIPELINE_PROXY_OPTIONS');
export const PIPELINE_PROXY_OPTIONS_OVERRIDE = Symbol('PIPELINE_PROXY_OPTIONS_OVERRIDE');

export type PipelineProxyOptionsOverride = Partial<Omit<PipelineProxyOptions, 'breaker'>> & {
  breaker?: Partial<PipelineProxyOptions['breaker']>;
};

export function resolvePipelineProxyOptions(
  override: PipelineProxyOptionsOverride | undefined,
): PipelineProxyOptions {
  const base = DEFAULT_PIPELINE_PROXY_OPTIONS;
  return { ...base, ...override, breaker: { ...base.breaker, ...override?.breaker } };
}

class PipelineProxyOptionsOverrideModule {}

/** A global module overriding the proxy options; mounted by tests through `createApp({ imports })`. */
export function pipelineProxyOptionsOverride(override: PipelineProxyOptionsOverride): DynamicModule {
  return {
    module: PipelineProxyOptionsOverrideModule,
    global: true,
    providers: [{ provide: PIPELINE_PROXY_OPTIONS_OVERRIDE, useValue: override }],
    exports: [PIPELINE_PROXY_OPTIONS_OVERRIDE],
  };
}
