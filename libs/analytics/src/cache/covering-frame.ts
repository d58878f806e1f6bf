import type { LRUCache } from 'lru-cache';
import { type CostFrameColumns, frameColumnsCover } from '../frame/cost-frame.js';
import { filterDates } from '../frame/cost-filters.js';
import type { CachedFrame, FramePeriod } from './cost-cache.types.js';
import { deleteMatching } from './lru-expiry.js';

/**
 * A cached frame of the org whose period contains `period` and whose columns include `columns`,
 * narrowed to the period (as is when it is the same period); `fresh` says whether a key's frame
 * is still fresh (and counts one that is not as expired).
 */
export function coveringFrame(
  frames: LRUCache<string, CachedFrame>,
  org: string,
  period: FramePeriod,
  columns: CostFrameColumns,
  fresh: (key: string) => CachedFrame | undefined,
): CachedFrame | undefined {
  const prefix = `${org}|frame|`;
  for (const key of [...frames.keys()]) {
    if (!key.startsWith(prefix)) continue;
    const candidate = frames.peek(key);
    if (!candidate || candidate.start > period.start || candidate.end < period.end) continue;
    if (!frameColumnsCover(candidate.columns, columns)) continue;
    if (!fresh(key)) continue;
    if (candidate.start === period.start && candidate.end === period.end) return candidate;
    return {
      ...candidate,
      df: filterDates(candidate.df, period.start, period.end),
      start: period.start,
      end: period.end,
    };
  }
  return undefined;
}

/**
 * Drops the org's cached frames that could serve `start`..`end` (of that period or a longer one that
 * contains it), each frame's origin noted in `dropped`; returns how many.
 */
export function dropServingFrames(
  frames: LRUCache<string, CachedFrame>,
  org: string,
  period: { start: string; end: string },
  dropped: WeakSet<object>,
): number {
  return deleteMatching(frames, (k) => {
    if (!k.startsWith(`${org}|frame|`)) return false;
    const frame = frames.peek(k);
    if (frame === undefined || frame.start > period.start || frame.end < period.end) return false;
    dropped.add(frame.origin);
    return true;
  });
}
