import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CostCache, type CostDays, costDaysAt, normaliseFiscalStartMonth, safeTimeZone } from '#analytics';
import { CostsRepository } from './costs.repository.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';
import { reportingCurrency } from '../organizations/locale-catalog.js';

/**
 * What every cost read of an org needs to know before it starts: its settings, its today and the
 * UTC day (see CostDays), taken at one instant.
 */
export interface OrgCostContext extends CostDays {
  org: string;
  /** The org's currency when it is a supported one, else USD. Amounts are never converted. */
  currency: string;
  timeZone: string;
  fiscalStartMonth: number;
  /**
   * The org's cache generation (CostCache.generation) when these settings were read: what is made
   * of them is not cached after an invalidation since (a time-zone change while the read ran).
   */
  generation: number;
}

type Settings = Omit<OrgCostContext, keyof CostDays>;

/** Profile settings change rarely (a locale edit); a minute of staleness is acceptable. */
const SETTINGS_TTL_MS = 60_000;

/** The org's currency, time zone, fiscal-year start and days, from its profile (cached briefly). */
@Injectable()
export class CostContextService implements OnModuleDestroy {
  private readonly settings = new LRUCache<string, Settings>({ max: 10_000, ttl: SETTINGS_TTL_MS });
  private readonly loading = new Map<string, Promise<Settings>>();

  private readonly stopListening: () => void;

  constructor(
    private readonly repository: CostsRepository,
    private readonly cache: CostCache,
  ) {
    // The org's settings go with its cached costs: an invalidation (C12, an import, an offboarding)
    // here or on another instance also reads the profile again.
    this.stopListening = cache.onOrgDropped((org) => this.forget(org));
  }

  onModuleDestroy(): void {
    this.stopListening();
  }

  async context(org: string): Promise<OrgCostContext> {
    const settings = this.settings.get(org) ?? (await this.loadOnce(org));
    return { ...settings, ...costDaysAt(settings.timeZone, this.cache.clock.now()) };
  }

  /**
   * Whether the org's cached settings (not forgotten, not expired) are still those `ctx` was made
   * of. What was built of a context that is no longer current may be stale.
   */
  isCurrent(ctx: OrgCostContext): boolean {
    const s = this.settings.get(ctx.org);
    return (
      s !== undefined &&
      s.currency === ctx.currency &&
      s.timeZone === ctx.timeZone &&
      s.fiscalStartMonth === ctx.fiscalStartMonth
    );
  }

  forget(org: string): void {
    this.settings.delete(org);
    // A load already under way may have read the settings before the change: not kept.
    this.loading.delete(org);
  }

  /** One profile read for the concurrent first reads of an org (a dashboard's widgets at once). */
  private loadOnce(org: string): Promise<Settings> {
    let pending = this.loading.get(org);
    if (!pending) {
      const load = this.load(org, this.cache.generation(org)).then(
        (settings) => {
          if (this.loading.get(org) === load) {
            this.loading.delete(org);
            this.settings.set(org, settings);
          }
          return settings;
        },
        (error: unknown) => {
          if (this.loading.get(org) === load) this.loading.delete(org);
          throw error;
        },
      );
      this.loading.set(org, load);
      pending = load;
    }
    return pending;
  }

  /** `generation`: the org's when the read begins (an invalidation during it makes them stale). */
  private async load(org: string, generation: number): Promise<Settings> {
    const profile = await this.repository.profile(org);
    if (!profile) throw new OrgError(OrgErrorCode.NotFound, `Organization ${org} was not found.`);
    const settings: Settings = {
      org,
      currency: reportingCurrency(profile.default_currency),
      timeZone: safeTimeZone(profile.default_timezone),
      fiscalStartMonth: normaliseFiscalStartMonth(
        profile.fiscal_year_start_month === null ? null : Number(profile.fiscal_year_start_month),
      ),
      generation,
    };
    return settings;
  }
}
