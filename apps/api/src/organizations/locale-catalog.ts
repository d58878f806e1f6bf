import fs from 'node:fs';
import path from 'node:path';
import { configsDir } from '#platform';

export interface CurrencyInfo {
  code: string;
  name: string;
  symbol: string;
  /** ISO 3166-1 alpha-2 country an org gets when it picks this currency. */
  country: string;
  /** Minor units: JPY/KRW 0, KWD/BHD/OMR 3, the rest 2. */
  decimals: number;
}

export interface TimezoneInfo {
  name: string;
  label: string;
}

/** The only language the product ships in; every org gets it. */
export const DEFAULT_LANGUAGE = 'en';
export const DEFAULT_CURRENCY = 'USD';
export const DEFAULT_TIMEZONE = 'UTC';

export interface LocaleCatalog {
  currencies: ReadonlyMap<string, CurrencyInfo>;
  timezones: ReadonlyMap<string, TimezoneInfo>;
}

function readArray(file: string): Record<string, unknown>[] {
  const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a JSON array`);
  return raw as Record<string, unknown>[];
}

function parseCurrency(file: string, entry: Record<string, unknown>): CurrencyInfo {
  const { code, name, symbol, country, decimals } = entry;
  const ok =
    typeof code === 'string' &&
    /^[A-Z]{3}$/.test(code) &&
    typeof name === 'string' &&
    typeof symbol === 'string' &&
    typeof country === 'string' &&
    /^[A-Z]{2}$/.test(country) &&
    typeof decimals === 'number' &&
    Number.isInteger(decimals) &&
    decimals >= 0 &&
    decimals <= 4;
  if (!ok) throw new Error(`${file}: invalid currency entry ${JSON.stringify(entry)}`);
  return { code, name, symbol, country, decimals };
}

function parseTimezone(file: string, entry: Record<string, unknown>): TimezoneInfo {
  const { name, label } = entry;
  if (typeof name !== 'string' || typeof label !== 'string')
    throw new Error(`${file}: invalid time zone entry ${JSON.stringify(entry)}`);
  // An IANA name the runtime does not know would make every date computation for the org throw.
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
  } catch {
    throw new Error(`${file}: unknown IANA time zone ${name}`);
  }
  return { name, label };
}

/** Reads configs/i18n/currencies.json and timezones.json, failing on the first malformed entry. */
export function loadLocaleCatalog(dir: string = path.join(configsDir(), 'i18n')): LocaleCatalog {
  const currencyFile = path.join(dir, 'currencies.json');
  const timezoneFile = path.join(dir, 'timezones.json');
  const currencies = new Map(
    readArray(currencyFile).map((e) => {
      const c = parseCurrency(currencyFile, e);
      return [c.code, Object.freeze(c)] as const;
    }),
  );
  const timezones = new Map(
    readArray(timezoneFile).map((e) => {
      const t = parseTimezone(timezoneFile, e);
      return [t.name, Object.freeze(t)] as const;
    }),
  );
  if (!currencies.has(DEFAULT_CURRENCY) || !timezones.has(DEFAULT_TIMEZONE))
    throw new Error(`${dir}: the defaults ${DEFAULT_CURRENCY} and ${DEFAULT_TIMEZONE} must be listed`);
  return { currencies, timezones };
}

let cached: LocaleCatalog | undefined;

/**
 * The catalog, read once. DTO decorators need the code lists when their classes are defined, so
 * this is a synchronous, memoised read rather than an injected provider.
 */
export function localeCatalog(): LocaleCatalog {
  cached ??= loadLocaleCatalog();
  return cached;
}

export const currencyCodes = (): string[] => [...localeCatalog().currencies.keys()];
export const timezoneNames = (): string[] => [...localeCatalog().timezones.keys()];

let timezonesByLowerCase: ReadonlyMap<string, string> | undefined;

/**
 * A time zone field's value, trimmed, in the catalog's spelling when it names one in any case
 * (` asia/dubai ` → `Asia/Dubai`, as currency codes are trimmed and read in any case); anything
 * else as sent (trimmed), for the field's validation to refuse.
 */
export function toTimezoneName({ value }: { value: unknown }): unknown {
  timezonesByLowerCase ??= new Map(timezoneNames().map((name) => [name.toLowerCase(), name]));
  if (typeof value !== 'string') return value;
  const name = value.trim();
  return timezonesByLowerCase.get(name.toLowerCase()) ?? name;
}

/**
 * The currency an org's costs are reported in: its profile's default currency (any case), or USD
 * when it has none the catalog lists (a profile written by an older release).
 */
export function reportingCurrency(code: string | null | undefined): string {
  const normalised = code?.trim().toUpperCase() ?? '';
  return localeCatalog().currencies.has(normalised) ? normalised : DEFAULT_CURRENCY;
}

/**
 * Currency metadata of the org's reporting currency (see reportingCurrency): a code in any case
 * is that currency's, one outside the catalog (a profile written by an older release) USD's. The
 * locale read once said USD where cost reads and imports took the same stored `eur` as EUR.
 */
export function currencyInfo(code: string | null | undefined): CurrencyInfo {
  return localeCatalog().currencies.get(reportingCurrency(code)) as CurrencyInfo;
}
