import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches, ValidateIf } from 'class-validator';

export { DATASET_LOCATIONS } from '#platform';

export { toUpper } from '../../common/query-fields.js';

/**
 * A tag: no `<` inside, so each match attempt stops at the next `<` and stripping is linear in the
 * text (with `[^>]*` every `<` scanned to the end for its `>`: quadratic, 10 s for 100,000 of them).
 */
const TAG = /<[^<>]*>/g;
/**
 * Words separated by ordinary spaces only: `\s` also let through newlines, tabs, U+2028/U+2029 and
 * other Unicode spaces, which break emails' headers, CSV exports and log lines.
 */
const COMPANY_NAME_CHARS = /^[a-zA-Z0-9 \-.,'"&()]+$/;

/**
 * A company name: tags are stripped and the ends trimmed first, then what is left must be 2-200
 * characters of letters, digits, ordinary spaces (U+0020 only) and - . , ' " & ( ). A `<`, `>` or
 * `\` that survives stripping is refused by that character rule. The value is stored as
 * validated; escaping is the renderer's job.
 */
const companyNameRules = () => [
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.replace(TAG, '').trim() : value,
  ),
  IsString(),
  Length(2, 200),
  Matches(COMPANY_NAME_CHARS, {
    message: `$property may contain only letters, digits, ordinary spaces (no tab, line break or other space) and - . , ' " & ( )`,
  }),
];

export const CompanyNameField = () =>
  applyDecorators(ApiProperty({ minLength: 2, maxLength: 200, example: 'Acme Inc.' }), ...companyNameRules());

/**
 * An optional field that becomes the company name: the same rules when present. One left blank
 * (empty once tags are stripped and the ends trimmed) is as absent, the reference's
 * `description or slug`: the caller takes its default.
 */
export const OptionalCompanyNameField = (description: string) =>
  applyDecorators(
    // minLength 0, not the rules' 2 (which the document would otherwise take from Length): a blank
    // value is accepted (it means the default), so the rule is said in words rather than as a
    // bound a generated client would enforce on "".
    ApiPropertyOptional({
      minLength: 0,
      maxLength: 200,
      description: `${description}: 2-200 characters once tags are stripped and the ends trimmed, or blank`,
    }),
    ValidateIf((_o: object, value: unknown) => value !== undefined && value !== null && value !== ''),
    ...companyNameRules(),
  );
