import type { PlanName } from '#tenancy-db';
import type { OnboardOrgRequestDto } from './dto/onboarding.dto.js';
import { currencyInfo, DEFAULT_CURRENCY, DEFAULT_TIMEZONE } from './locale-catalog.js';

export interface Locale {
  currency: string;
  country: string;
  timezone: string;
}

/** Explicit nulls in the body mean "the default", like absent fields. */
export function planOf(req: OnboardOrgRequestDto): PlanName {
  return req.subscription_plan ?? 'STARTER';
}

export function localeOf(req: Pick<OnboardOrgRequestDto, 'default_currency' | 'default_timezone'>): Locale {
  const currency = currencyInfo(req.default_currency ?? DEFAULT_CURRENCY);
  return {
    currency: currency.code,
    country: currency.country,
    timezone: req.default_timezone ?? DEFAULT_TIMEZONE,
  };
}
