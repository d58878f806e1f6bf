import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { Transform } from 'class-transformer';
import { ORG_SCOPES, OrgSlugField } from '#platform';

export class KeyHashParamDto {
  @ApiProperty({
    description: 'SHA-256 hex digest of the key, in either case (answered in lower case, as stored)',
    pattern: '^[0-9a-fA-F]{64}$',
  })
  // Hex digits name the same digest in either case; keys are stored and looked up by the lower-case one.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @Matches(/^[0-9a-f]{64}$/, { message: 'hash must be a SHA-256 hex digest (64 hex characters)' })
  hash: string;
}

export class RotateApiKeyRequestDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 86_400,
    default: 0,
    nullable: true,
    description: 'How long the previous keys keep working; 0 (or null) revokes them at once',
  })
  // Null is as absent, the default (as elsewhere in bodies): kept as null, the rotation revoked at
  // once but its audit entry recorded a grace period of null.
  @Transform(({ value }: { value: unknown }) => value ?? 0)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  grace_period_seconds: number = 0;
}

export class RotateApiKeyResponseDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'The new key; shown only in this response' }) api_key: string;
  @ApiProperty({ description: 'Last 4 characters of the new key' }) api_key_fingerprint: string;
  @ApiProperty({
    description:
      'true when the previous keys stopped working at once; false when they keep working until ' +
      'previous_keys_expire_at (grace period), or when the organization had no active key',
  })
  previous_key_revoked: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) previous_keys_expire_at: string | null;
  @ApiProperty() message: string;
}

export class ApiKeyInfoDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Last 4 characters of the key' }) api_key_fingerprint: string;
  @ApiProperty({ enum: [true] }) is_active: true;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When the org key this request was sent with stops working (it is being retired: a rotation ' +
      'grace period runs); null when it does not expire, or when the root key was sent',
  })
  caller_key_expires_at: string | null;
}

export class CreateApiKeyRequestDto {
  @OrgSlugField()
  org_slug: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ enum: ORG_SCOPES, isArray: true, description: 'Default: every scope' })
  // Left out means every scope; null is no list of scopes at all (IsOptional let it through to a 500).
  @ValidateIf((_: unknown, value: unknown) => value !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(ORG_SCOPES, { each: true })
  scopes?: string[];
}

export class ApiKeyResponseDto {
  @ApiProperty({ description: 'The key; shown only in this response' }) api_key: string;
  @ApiProperty() org_api_key_hash: string;
  @ApiProperty() org_slug: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String] }) scopes: string[];
}

export class RevokeApiKeyResponseDto {
  @ApiProperty() org_api_key_hash: string;
  @ApiProperty() message: string;
}

export class DevApiKeyResponseDto {
  @ApiProperty() org_slug: string;
  @ApiProperty() api_key: string;
  @ApiProperty() message: string;
}
