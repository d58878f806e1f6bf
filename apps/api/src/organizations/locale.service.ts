import { Injectable } from '@nestjs/common';
import { CostCache, normaliseFiscalStartMonth, safeTimeZone } from '#analytics';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditService } from '../audit/audit.service.js';
import { LOCALE_FIELDS, type LocaleDto, type UpdateLocaleRequestDto } from './dto/locale.dto.js';
import { currencyInfo, DEFAULT_LANGUAGE, DEFAULT_TIMEZONE } from './locale-catalog.js';
import { OrgProfileRepository, type ProfileRow } from './org-profile.repository.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';
import { OrgLeases } from '../common/org-lease.js';

/** The org's currency, country, language, time zone and fiscal-year start month (org_profiles). */
@Injectable()
export class LocaleService {
  constructor(
    private readonly profiles: OrgProfileRepository,
    private readonly audit: AuditService,
    private readonly costCache: CostCache,
    private readonly leases: OrgLeases,
  ) {}

  async get(org: string): Promise<LocaleDto> {
    return toLocale(await this.profile(org));
  }

  /**
   * A partial update; a currency given brings its country and the language `en` with it (a time
   * zone or fiscal-year start alone leaves both as they are). Only the columns the request sets are
   * written, in one statement (all of them or none), so two updates of different fields at once
   * (currency here, time zone there) both stand. A configuration write of the org: never in the
   * middle of its removal (OrgLeases.write). A failed change is recorded too, as a FAILURE entry.
   */
  update(org: string, req: UpdateLocaleRequestDto, actor: AuditActor): Promise<LocaleDto> {
    return this.leases.write(org, () =>
      this.audit.failureRecorded(
        {
          orgSlug: org,
          action: 'UPDATE',
          resourceType: 'ORGANIZATION',
          resourceId: org,
          details: { field: 'locale', requested: { ...req } },
          actor,
        },
        () => this.apply(org, req, actor),
      ),
    );
  }

  private async apply(org: string, req: UpdateLocaleRequestDto, actor: AuditActor): Promise<LocaleDto> {
    const before = await this.profile(org);
    const currency = currencyInfo(req.default_currency ?? before.default_currency);
    const timezone = req.default_timezone ?? before.default_timezone ?? DEFAULT_TIMEZONE;
    const fiscalStartMonth = req.fiscal_year_start_month ?? fiscalStartMonthOf(before);
    const now = new Date();
    try {
      await this.profiles.update(
        org,
        {
          ...(req.default_currency !== undefined && {
            default_currency: currency.code,
            default_country: currency.country,
            default_language: DEFAULT_LANGUAGE,
          }),
          ...(req.default_timezone !== undefined && { default_timezone: timezone }),
          ...(req.fiscal_year_start_month !== undefined && { fiscal_year_start_month: fiscalStartMonth }),
        },
        now,
      );
    } finally {
      // Cost reads answer in the org's currency, count its days in its time zone and resolve fiscal
      // periods (the default one: the fiscal year to date) from its start month: what they cached
      // under the old settings goes, on every instance (the settings and the kept responses with
      // it). Even when the write failed: a BigQuery job may commit after its call did. It does not
      // reject.
      await this.costCache.invalidateOrg(org);
    }
    // As stored now, with whatever another request changed meanwhile.
    const after = await this.profile(org);
    await this.audit.record({
      orgSlug: org,
      action: 'UPDATE',
      resourceType: 'ORGANIZATION',
      resourceId: org,
      status: 'SUCCESS',
      details: {
        field: 'locale',
        updated_fields: LOCALE_FIELDS.filter((f) => req[f] !== undefined),
        before: {
          default_currency: before.default_currency,
          default_timezone: before.default_timezone,
          fiscal_year_start_month: fiscalStartMonthOf(before),
        },
        // As stored: this change with whatever another one wrote meanwhile (`updated_fields` says
        // which are this one's).
        after: {
          default_currency: currencyInfo(after.default_currency).code,
          default_timezone: after.default_timezone ?? DEFAULT_TIMEZONE,
          fiscal_year_start_month: fiscalStartMonthOf(after),
        },
      },
      actor,
    });
    return toLocale(after);
  }

  private async profile(org: string): Promise<ProfileRow> {
    const profile = await this.profiles.find(org);
    if (!profile) throw new OrgError(OrgErrorCode.NotFound, `Organization '${org}' not found.`);
    return profile;
  }
}

function toLocale(p: ProfileRow): LocaleDto {
  const currency = currencyInfo(p.default_currency);
  return {
    org_slug: p.org_slug,
    default_currency: currency.code,
    default_country: p.default_country ?? currency.country,
    default_language: p.default_language ?? DEFAULT_LANGUAGE,
    // The zone cost reads count the org's days in: UTC for one the runtime does not know.
    default_timezone: safeTimeZone(p.default_timezone ?? DEFAULT_TIMEZONE),
    currency_symbol: currency.symbol,
    currency_name: currency.name,
    currency_decimals: currency.decimals,
    fiscal_year_start_month: fiscalStartMonthOf(p),
  };
}

/**
 * The month the org's fiscal year starts in, as cost reads take it (CostContextService): January
 * when unset. An engine may hand the INT64 over as a bigint or a string.
 */
function fiscalStartMonthOf(p: ProfileRow): number {
  const month = p.fiscal_year_start_month;
  return normaliseFiscalStartMonth(month === null || month === undefined ? null : Number(month));
}
