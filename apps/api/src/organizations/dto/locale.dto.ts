import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min, ValidateIf } from 'class-validator';
import { NullAsAbsent } from '../../common/query-fields.js';
import { currencyCodes, timezoneNames, toTimezoneName } from '../locale-catalog.js';
import { toUpper } from './field-rules.js';

const NONE = 'give default_currency, default_timezone, fiscal_year_start_month or several of them';

/** The fields a locale update may set; at least one of them is required. */
export const LOCALE_FIELDS = ['default_currency', 'default_timezone', 'fiscal_year_start_month'] as const;

/** Checked when given, or when no field is given at all (each is then named as missing). */
const givenOrNoneGiven = (field: (typeof LOCALE_FIELDS)[number]) =>
  ValidateIf(
    (o: UpdateLocaleRequestDto) => o[field] !== undefined || LOCALE_FIELDS.every((f) => o[f] === undefined),
  );

const MONTH = 'fiscal_year_start_month must be an integer from 1 (January) to 12 (December)';

/** A partial update: at least one field. Each field is checked when given, or when all are missing. */
export class UpdateLocaleRequestDto {
  @ApiPropertyOptional({ enum: currencyCodes() })
  @givenOrNoneGiven('default_currency')
  @NullAsAbsent(toUpper)
  @IsIn(currencyCodes(), { message: `default_currency must be one of the supported currencies (${NONE})` })
  default_currency?: string;

  @ApiPropertyOptional({ enum: timezoneNames(), description: 'Case-insensitive' })
  @givenOrNoneGiven('default_timezone')
  @NullAsAbsent(toTimezoneName)
  @IsIn(timezoneNames(), { message: `default_timezone must be one of the supported time zones (${NONE})` })
  default_timezone?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 12,
    example: 4,
    description: 'The first month of the fiscal year (1 = January), which fiscal cost periods follow',
  })
  @givenOrNoneGiven('fiscal_year_start_month')
  @NullAsAbsent()
  // A JSON number only: "4" and 4.5 are refused, not read as April.
  @IsInt({ message: `${MONTH} (${NONE})` })
  @Min(1, { message: MONTH })
  @Max(12, { message: MONTH })
  fiscal_year_start_month?: number;
}

export class LocaleDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ example: 'USD' }) default_currency: string;
  @ApiProperty({ example: 'US' }) default_country: string;
  @ApiProperty({ example: 'en' }) default_language: string;
  @ApiProperty({ example: 'UTC' }) default_timezone: string;
  @ApiProperty({ example: '$' }) currency_symbol: string;
  @ApiProperty({ example: 'US Dollar' }) currency_name: string;
  @ApiProperty({ example: 2 }) currency_decimals: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 12, example: 1 }) fiscal_year_start_month: number;
}
