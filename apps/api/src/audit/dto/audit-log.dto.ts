import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  Matches,
  Max,
  Min,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import {
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  AUDIT_STATUSES,
  type AuditAction,
  type AuditLogRecord,
  type AuditResourceType,
  type AuditStatus,
} from '../audit.types.js';

const upper = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The range is refused when both ends are given and the end comes first (YYYY-MM-DD sorts as text). */
function NotBefore(other: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'notBefore',
      target: target.constructor,
      propertyName,
      constraints: [other],
      options: { message: `${propertyName} must not be before ${other}` },
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const start = (args.object as Record<string, unknown>)[other];
          return typeof value !== 'string' || typeof start !== 'string' || value >= start;
        },
      },
    });
}

export class AuditLogQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, description: 'Case-insensitive' })
  @IsOptional()
  @Transform(upper)
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ enum: AUDIT_RESOURCE_TYPES, description: 'Case-insensitive' })
  @IsOptional()
  @Transform(upper)
  @IsIn(AUDIT_RESOURCE_TYPES)
  resource_type?: AuditResourceType;

  @ApiPropertyOptional({ enum: AUDIT_STATUSES, description: 'Case-insensitive' })
  @IsOptional()
  @Transform(upper)
  @IsIn(AUDIT_STATUSES)
  status?: AuditStatus;

  @ApiPropertyOptional({ example: '2026-01-01', description: 'Inclusive, on the UTC date of created_at' })
  @IsOptional()
  @Matches(DAY, { message: 'start_date must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'start_date must be a valid date' })
  start_date?: string;

  @ApiPropertyOptional({ example: '2026-01-31', description: 'Inclusive; not before start_date' })
  @IsOptional()
  @Matches(DAY, { message: 'end_date must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'end_date must be a valid date' })
  @NotBefore('start_date')
  end_date?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit = 100;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}

export class AuditLogDto {
  @ApiProperty() audit_id: string;
  @ApiProperty() org_slug: string;
  @ApiProperty({ type: String, nullable: true }) user_id: string | null;
  @ApiProperty({ type: String, nullable: true }) api_key_id: string | null;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: string;
  @ApiProperty({ enum: AUDIT_RESOURCE_TYPES }) resource_type: string;
  @ApiProperty({ type: String, nullable: true }) resource_id: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) details: unknown;
  @ApiProperty({ type: String, nullable: true }) ip_address: string | null;
  @ApiProperty({ type: String, nullable: true }) user_agent: string | null;
  @ApiProperty({ type: String, nullable: true }) request_id: string | null;
  @ApiProperty({ enum: AUDIT_STATUSES }) status: string;
  @ApiProperty({ type: String, nullable: true }) error_message: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(r: AuditLogRecord): AuditLogDto {
    return {
      audit_id: r.auditId,
      org_slug: r.orgSlug,
      user_id: r.userId,
      api_key_id: r.apiKeyId,
      action: r.action,
      resource_type: r.resourceType,
      resource_id: r.resourceId,
      details: r.details ?? null,
      ip_address: r.ipAddress,
      user_agent: r.userAgent,
      request_id: r.requestId,
      status: r.status,
      error_message: r.errorMessage,
      created_at: r.createdAt.toISOString(),
    };
  }
}

export class AuditLogListDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ description: 'Entries matching the filters over all pages' }) total_count: number;
  @ApiProperty({ type: [AuditLogDto] }) logs: AuditLogDto[];
  @ApiProperty({ description: 'offset + this page < total_count' }) has_more: boolean;
}
