import { Transform } from 'class-transformer';
import { IsInt, Max, Min, ValidateBy } from 'class-validator';
import { toInt } from './env-fields.js';

/**
 * The longest delay Node's timers take (2^31 − 1 ms, about 24.8 days): a longer one fires after
 * 1 ms instead, so every `_MS` setting a timer waits for is at most this.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The most rows a demo seeding builds (DEMO_ROWS, `npm run demo -- --rows`): its year is built in
 * memory before it is imported, and far more (10^11) failed the start with "Invalid typed array
 * length" naming no setting, or ran out of memory minutes later. 1M rows take ~30 s.
 */
export const MAX_DEMO_ROWS = 10_000_000;

/**
 * The fewest rows a demo seeding builds: each provider gets its share of the rows, rounded down,
 * and the smallest shares are 5%. Fewer left a source with no rows, whose import failed the
 * seeding half-way ("The file has a header but no rows"), the sources before it already imported.
 */
export const MIN_DEMO_ROWS = 20;

/**
 * 0 (never) or at least a second: a value in seconds (`120` for two minutes) was taken as 120 ms,
 * and every request whose handler was silent that long lost its connection unanswered.
 */
const IsIdleTimeout = () =>
  ValidateBy({
    name: 'isIdleTimeout',
    validator: {
      validate: (value: unknown) => value === 0 || (typeof value === 'number' && value >= 1000),
      defaultMessage: () =>
        'CONNECTION_IDLE_TIMEOUT_MS must be 0 (never) or at least 1000 milliseconds (120000 is two minutes)',
    },
  });

/**
 * The environment's limits and timings (bodies, connections, rate limits, quota holds, caches,
 * probes, shutdown, imports): every one a whole number with a default. EnvSchema extends it;
 * class-validator and class-transformer read the decorators of both.
 */
export class EnvLimits {
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES = 10 * 1024 * 1024;

  /**
   * A connection that sends and receives nothing for this long is closed (Node's server timeout;
   * Fastify turns it off by default, which let a client hold a connection forever by never
   * finishing its body). An idle limit, not a total one: a slow but steady upload of a large FOCUS
   * file is not cut short, and no handler stays silent this long. 0 turns it off.
   */
  @Transform(toInt)
  @IsInt()
  @IsIdleTimeout()
  @Max(MAX_TIMER_MS)
  CONNECTION_IDLE_TIMEOUT_MS = 120_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_READS_PER_MINUTE = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_WRITES_PER_MINUTE = 120;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_ADMIN_PER_MINUTE = 60;

  /** Per key, the reads marked heavy (`@HeavyRead()`: the granular cost trend), as in the reference. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_HEAVY_READS_PER_MINUTE = 30;

  /**
   * Per key, the pipeline service's validate, complete and heartbeat calls, which the writes limit
   * does not count. 3,000/min (50/s) is about twice the validate + complete calls of the largest
   * plan's daily quota (999,999 runs) spread over the day; the quota decides how many runs start.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PIPELINE_PER_MINUTE = 3000;

  /**
   * How long a validated run holds its slot without a heartbeat or completion (a run of a pipeline
   * whose timeout is longer holds it for twice that timeout); a stuck run frees its slot then.
   */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  QUOTA_RESERVATION_TTL_SECONDS = 1800;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(MAX_TIMER_MS)
  AUTH_CACHE_TTL_MS = 30_000;

  /**
   * Per client IP and instance: org keys failing authentication in a minute after which keys not
   * known yet are refused (429) without a lookup until the minute ends (AuthFailureLimiter).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUTH_FAILURES_PER_MINUTE = 60;

  /** How often the org keys used since the last flush get their last_used_at written. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  KEY_USAGE_FLUSH_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(MAX_TIMER_MS)
  HEALTH_CHECK_TIMEOUT_MS = 3_000;

  /**
   * At least a second: 0 let a SIGTERM end the process at once with status 1, the requests in
   * flight dropped and the engines never closed (a DuckDB file left to its write-ahead log).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  SHUTDOWN_GRACE_MS = 10_000;

  /**
   * Cost reads: the most rows one read loads as a frame (grouped rows for the aggregations, about
   * 60 bytes each; FOCUS rows for row listings, 250): an aggregation of a period holding more is
   * refused with a 422 before its rows are read into memory, rather than taking the instance (and
   * every tenant's requests on it) out of memory; a listing (bounded by COST_LISTING_FRAME_MAX_ROWS
   * as well) pages in the warehouse instead, through the period's grouped rows (refused as well when
   * those are more). The default keeps every frame a read may load within the frame cache (512 MiB
   * at ~250 bytes a row), so none is loaded again for each request.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  COST_FRAME_MAX_ROWS = 2_000_000;

  /**
   * Cost row listings: the most FOCUS rows a listing loads as a frame of rows (at most
   * COST_FRAME_MAX_ROWS), paged from the frame cache; a period holding more is paged by the
   * warehouse, one query a page. A frame of rows is ~250 bytes a row: at the default, ~60 MB, an
   * eighth of the default frame cache, so one org listing its year does not push every other
   * org's cached frames out.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  COST_LISTING_FRAME_MAX_ROWS = 250_000;

  /**
   * Cost reads: the frame loads (a warehouse query read into a Polars frame) one instance runs at
   * once, one org's at most all but one of them (when more than one); further loads wait for a
   * slot, a freed one going to the waiting orgs in turn. Each load holds its warehouse answer and
   * frame in memory until it ends: a burst of reads of distinct periods (a dashboard's charts,
   * many orgs at the start of a day) holds at most this many at once.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  COST_FRAME_LOADS_MAX = 4;

  /**
   * Growth of the resident memory (MiB) since the last full V8 collection settled (or since its
   * lowest reading after that) that runs another (0: never). Polars frames hold their columns outside V8's heap, freed only once V8 collects their
   * small JavaScript objects, which a heap that hardly grows may not do for minutes: without it,
   * forty listings of distinct periods took an instance from 0.5 to 4 GB, and kept it there.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  NATIVE_MEMORY_GC_MB = 256;

  /** FOCUS import: largest upload as sent (413 beyond it, before reading). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  COST_IMPORT_MAX_BYTES = 1024 ** 3;

  /** FOCUS import: largest file once gunzipped, and largest Parquet file once its values are decoded. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  COST_IMPORT_MAX_EXPANDED_BYTES = 8 * 1024 ** 3;

  /** FOCUS import: uploads up to this size complete before the response (200); larger ones answer 202. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  COST_IMPORT_SYNC_MAX_BYTES = 8 * 1024 ** 2;

  /**
   * FOCUS import: uploads being received and expanded at once on an instance (503 with Retry-After
   * beyond). Each may take up to COST_IMPORT_MAX_EXPANDED_BYTES of disk (on Cloud Run, of memory)
   * until it is checked; one org has at most one upload being received or waiting for its turn.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  COST_IMPORT_MAX_CONCURRENT_UPLOADS = 2;

  /**
   * FOCUS import: how long receiving one upload may take in all (408 beyond): the idle timeout
   * cuts a silent connection only, and a caller sending a byte every few seconds would otherwise
   * hold one of the instance's COST_IMPORT_MAX_CONCURRENT_UPLOADS slots for as long as it likes.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(MAX_TIMER_MS)
  COST_IMPORT_RECEIVE_TIMEOUT_MS = 600_000;
}
