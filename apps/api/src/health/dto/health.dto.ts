import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The version fields every health body carries (versionInfo). */
export class VersionFieldsDto {
  @ApiProperty({ example: 'finops-api' }) service: string;
  @ApiProperty({ example: 'v0.1.0', description: 'APP_VERSION, else v and the package version' })
  version: string;
  @ApiProperty({ description: 'RELEASE_VERSION, else the version' }) release: string;
  @ApiProperty({ description: 'RELEASE_TIMESTAMP, else when the process started (ISO 8601)' })
  release_timestamp: string;
}

const ENVIRONMENT = { example: 'production', description: 'ENVIRONMENT: development, staging or production' };

/** `GET /` */
export class RootInfoDto extends VersionFieldsDto {
  @ApiProperty({ example: 'FinOps API' }) message: string;
  @ApiProperty(ENVIRONMENT) environment: string;
  @ApiProperty({ example: '/docs', description: 'Swagger UI' }) docs: string;
  @ApiProperty({ example: '/openapi.json', description: 'This document' }) openapi: string;
}

/** `GET /health` */
export class HealthDto extends VersionFieldsDto {
  @ApiProperty({ enum: ['healthy'] }) status: 'healthy';
  @ApiProperty(ENVIRONMENT) environment: string;
}

/** `GET /health/live` */
export class LiveDto {
  @ApiProperty({ enum: ['alive'] }) status: 'alive';
  @ApiProperty({ example: 'finops-api' }) service: string;
  @ApiProperty({ example: 'v0.1.0' }) version: string;
}

/** `GET /health/live` while the instance shuts down (a 503, not a problem: the probe's own answer). */
export class ShuttingDownDto {
  @ApiProperty({ enum: ['shutting_down'] }) status: 'shutting_down';
  @ApiProperty({ example: 'finops-api' }) service: string;
  @ApiProperty({ example: 'Shutting down; finishing in-flight requests' }) message: string;
}

/** One readiness check (HealthService.check). */
export class CheckResultDto {
  @ApiProperty({ enum: ['ok', 'failing'] }) status: 'ok' | 'failing';
  @ApiProperty({ type: 'integer', minimum: 0 }) latency_ms: number;
  @ApiPropertyOptional({
    example: 'timeout',
    description: 'When failing: timeout, unavailable, or what is wrong (never connection details)',
  })
  error?: string;
}

export class ReadinessChecksDto {
  @ApiProperty({ type: CheckResultDto }) warehouse: CheckResultDto;
  @ApiProperty({ type: CheckResultDto }) tenancy_db: CheckResultDto;
  @ApiProperty({ type: CheckResultDto, description: 'The central tables auth needs exist' })
  setup: CheckResultDto;
  @ApiProperty({ type: CheckResultDto, description: 'Reported only: does not decide readiness' })
  encryption: CheckResultDto;
  @ApiPropertyOptional({
    type: CheckResultDto,
    description: 'When REDIS_URL is set; reported only: does not decide readiness',
  })
  redis?: CheckResultDto;
}

/** `GET /health/ready` when ready. */
export class ReadyDto extends VersionFieldsDto {
  @ApiProperty({ enum: ['ready'] }) status: 'ready';
  @ApiProperty(ENVIRONMENT) environment: string;
  @ApiProperty({ type: ReadinessChecksDto }) checks: ReadinessChecksDto;
}

/** `GET /health/ready` when a deciding check fails: a problem with the checks. */
export class NotReadyProblemDto extends VersionFieldsDto {
  @ApiProperty({ format: 'uri', example: 'https://errors.finops-api.dev/not-ready' }) type: string;
  @ApiProperty({ example: 'Service not ready' }) title: string;
  @ApiProperty({ enum: [503] }) status: 503;
  @ApiProperty({ example: 'Failing check(s): warehouse.' }) detail: string;
  @ApiProperty({ enum: ['NOT_READY'] }) code: 'NOT_READY';
  @ApiProperty() request_id: string;
  @ApiProperty({ type: [String], description: 'The deciding checks that fail' }) failing: string[];
  @ApiProperty(ENVIRONMENT) environment: string;
  @ApiProperty({ type: ReadinessChecksDto }) checks: ReadinessChecksDto;
}
