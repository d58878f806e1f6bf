import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, ValidateIf } from 'class-validator';
import { NullAsAbsent } from '../../common/query-fields.js';
import { currencyCodes, timezoneNames, toTimezoneName } from '../locale-catalog.js';
import { toUpper } from './field-rules.js';

const NEITHER = 'give default_currency, default_timezone or both';

/** A partial update: at least one field. Each field is checked when given, or when both are missing. */
export class UpdateLocaleRequestDto {
  @ApiPropertyOptional({ enum: currencyCodes() })
  @ValidateIf(
    (o: UpdateLocaleRequestDto) => o.default_currency !== undefined || o.default_timezone === undefined,
  )
  @NullAsAbsent(toUpper)
  @IsIn(currencyCodes(), { message: `default_currency must be one of the supported currencies (${NEITHER})` })
  default_currency?: string;

  @ApiPropertyOptional({ enum: timezoneNames(), description: 'Case-insensitive' })
  @ValidateIf(
    (o: UpdateLocaleRequestDto) => o.default_timezone !== undefined || o.default_currency === undefined,
  )
  @NullAsAbsent(toTimezoneName)
  @IsIn(timezoneNames(), { message: `default_timezone must be one of the supported time zones (${NEITHER})` })
  default_timezone?: string;
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
}
