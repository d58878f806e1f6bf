import { ApiProperty } from '@nestjs/swagger';

const Counter = (description: string) => ApiProperty({ type: 'integer', minimum: 0, description });
const Ratio = (description: string) =>
  ApiProperty({ type: Number, minimum: 0, maximum: 1, description: `${description}, 4 decimals` });
const Megabytes = (description: string) =>
  ApiProperty({ type: Number, minimum: 0, description: `${description}, 2 decimals` });

/** One cache level's counters (LevelStats), for the org or the whole instance. */
export class CacheLevelStatsDto {
  @Counter('Lookups answered from the level') hits: number;
  @Counter('Lookups the level could not answer') misses: number;
  @Counter('Entries pushed out to make room') evictions: number;
  @Counter('Entries found past their time to live') expirations: number;
  @Counter('Entries dropped by an org invalidation') invalidations: number;
  @Counter('Entries held') size: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Entry bound; null when only bytes bound it' })
  max_size: number | null;
  @Counter('Bytes held') memory_bytes: number;
  @Counter("The level's byte bound (the whole instance's)") max_memory_bytes: number;
  @Megabytes('memory_bytes in MiB') memory_mb: number;
  @Megabytes('max_memory_bytes in MiB') max_memory_mb: number;
  @Ratio('memory_bytes / max_memory_bytes') memory_utilization: number;
  @Ratio('hits / (hits + misses); 0 before any lookup') hit_rate: number;
}

/** The frame level: also how its loads went. */
export class FrameCacheStatsDto extends CacheLevelStatsDto {
  @Counter('Warehouse queries started') loads: number;
  @Counter('Requests that waited for a load another request had started') coalesced: number;
  @Counter('Hits served by a cached frame of a longer period or more columns') covering_hits: number;
  @Counter('Frames too big to cache at all (served, then dropped)') oversize: number;
  @Counter(
    'Loads refused: the period held more rows than a frame may hold (COST_FRAME_MAX_ROWS, COST_LISTING_FRAME_MAX_ROWS)',
  )
  refused: number;
  @Counter('Reads refused again from a kept refusal, without a warehouse query') refusal_hits: number;
  @Counter(
    'Loads that waited for a free load slot (COST_FRAME_LOADS_MAX); one that then found its frame cached meanwhile was served from it, a hit, without a query',
  )
  waited: number;
}

/** C11 */
export class CostCacheStatsResponseDto {
  @ApiProperty({ type: Boolean, enum: [true] }) success: true;
  @ApiProperty({
    enum: ['organization', 'instance'],
    description: "organization with an org key (the org's own entries), instance with the root key",
  })
  scope: 'organization' | 'instance';
  @ApiProperty({ type: FrameCacheStatsDto, description: 'Period frames loaded from the warehouse' })
  frames: FrameCacheStatsDto;
  @ApiProperty({ type: CacheLevelStatsDto, description: 'Aggregations computed from the frames' })
  results: CacheLevelStatsDto;
  @ApiProperty({ type: CacheLevelStatsDto, description: 'Whole responses kept for repeated reads' })
  responses: CacheLevelStatsDto;
}

export class InvalidatedCountsDto {
  @Counter('Frames dropped on this instance') frames: number;
  @Counter('Results dropped on this instance') results: number;
  @Counter('Kept responses dropped on this instance') responses: number;
  @Counter('The three together') total: number;
}

/** C12 */
export class CostCacheInvalidateResponseDto {
  @ApiProperty({ type: Boolean, enum: [true] }) success: true;
  @ApiProperty({ example: 'Invalidated 12 cache entries for acme_corp' }) message: string;
  @ApiProperty({
    type: InvalidatedCountsDto,
    description: 'What this instance dropped; the other instances drop theirs on the broadcast',
  })
  invalidated: InvalidatedCountsDto;
}
