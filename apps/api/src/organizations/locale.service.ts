import { Injectable } from '@nestjs/common';
import { CostCache } from '#analytics';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditService } from '../audit/audit.service.js';
import type { LocaleDto, UpdateLocaleRequestDto } from './dto/locale.dto.js';
import { currencyInfo, DEFAULT_LANGUAGE, DEFAULT_TIMEZONE } from './locale-catalog.js';
import { OrgProfileRepository, type ProfileRow } from './org-profile.repository.js';
import { OrgError, OrgErrorCode } from '../common/org-errors.js';
import { OrgLeases } from '../common/org-lease.js';

/** The org's currency, country, language and time zone (org_profiles). */
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
   * A partial update; the country always follows the currency and the language is always `en`.
   * Only the columns the request sets are written, so two updates of different fields at once
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
    const now = new Date();
    await this.profiles.update(
      org,
      {
        ...(req.default_currency !== undefined && {
          default_currency: currency.code,
          default_country: currency.country,
          default_language: DEFAULT_LANGUAGE,
        }),
        ...(req.default_timezone !== undefined && { default_timezone: timezone }),
      },
      now,
    );
    // Cost reads answer in the org's currency and count its days in its time zone: what they
    // cached under the old settings goes, on every instance (the settings they keep go with it).
    await this.costCache.invalidateOrg(org);
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
        before: { default_currency: before.default_currency, default_timezone: before.default_timezone },
        after: { default_currency: currency.code, default_timezone: timezone },
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
    default_timezone: p.default_timezone ?? DEFAULT_TIMEZONE,
    currency_symbol: currency.symbol,
    currency_name: currency.name,
    currency_decimals: currency.decimals,
  };
}
