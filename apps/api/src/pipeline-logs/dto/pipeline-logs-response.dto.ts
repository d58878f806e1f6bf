import { ApiProperty } from '@nestjs/swagger';

const nullableString = { type: String, nullable: true } as const;
const nullableInt = { type: Number, nullable: true } as const;
const nullableTime = { type: String, format: 'date-time', nullable: true } as const;
const jsonObject = { type: 'object', additionalProperties: true, nullable: true } as const;

export class ErrorContextDto {
  @ApiProperty(nullableString) error_type: string | null;
  @ApiProperty(nullableString) error_code: string | null;
  @ApiProperty(nullableInt) retry_count: number | null;
  @ApiProperty({ type: Boolean, nullable: true }) is_retryable: boolean | null;
  @ApiProperty(nullableString) stack_trace: string | null;
  @ApiProperty(nullableString) suggested_action: string | null;
}

export class PipelineRunDto {
  @ApiProperty() pipeline_logging_id: string;
  @ApiProperty() pipeline_id: string;
  @ApiProperty() status: string;
  @ApiProperty({ description: '"unknown" when the run recorded none' }) trigger_type: string;
  @ApiProperty(nullableString) trigger_by: string | null;
  @ApiProperty(nullableTime) start_time: string | null;
  @ApiProperty(nullableTime) end_time: string | null;
  @ApiProperty(nullableInt) duration_ms: number | null;
  @ApiProperty({ type: String, format: 'date', nullable: true }) run_date: string | null;
  @ApiProperty(nullableString) error_message: string | null;
  @ApiProperty({ type: ErrorContextDto, nullable: true }) error_context: ErrorContextDto | null;
  @ApiProperty({ ...jsonObject, description: 'Parsed JSON; {"raw": text} when it is not JSON' })
  parameters: Record<string, unknown> | null;
}

export class PipelineRunListDto {
  @ApiProperty({ type: [PipelineRunDto] }) runs: PipelineRunDto[];
  @ApiProperty({ description: 'Runs matching the filters over all pages' }) total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class StepLogDto {
  @ApiProperty() step_logging_id: string;
  @ApiProperty() step_name: string;
  @ApiProperty() step_type: string;
  @ApiProperty() step_index: number;
  @ApiProperty() status: string;
  @ApiProperty(nullableTime) start_time: string | null;
  @ApiProperty(nullableTime) end_time: string | null;
  @ApiProperty(nullableInt) duration_ms: number | null;
  @ApiProperty(nullableInt) rows_processed: number | null;
  @ApiProperty(nullableString) error_message: string | null;
  @ApiProperty({ type: ErrorContextDto, nullable: true }) error_context: ErrorContextDto | null;
  @ApiProperty(jsonObject) metadata: Record<string, unknown> | null;
}

export class PipelineRunDetailDto extends PipelineRunDto {
  @ApiProperty(jsonObject) run_metadata: Record<string, unknown> | null;
  @ApiProperty({
    description:
      'Finished steps of the run. `steps` lists the first 1000 of them: GET …/steps pages through all, and the download holds all',
  })
  steps_total: number;
  @ApiProperty({ type: [StepLogDto], description: 'Finished steps only, in step order' }) steps: StepLogDto[];
}

export class StepLogListDto {
  @ApiProperty({ type: [StepLogDto] }) steps: StepLogDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class RetryRunResponseDto {
  @ApiProperty() success: boolean;
  @ApiProperty() message: string;
  @ApiProperty({ type: String, nullable: true, description: 'Always null: nothing is executed here' })
  new_pipeline_logging_id: string | null;
  @ApiProperty() original_pipeline_logging_id: string;
}

export class StateTransitionDto {
  @ApiProperty() transition_id: string;
  @ApiProperty() pipeline_logging_id: string;
  @ApiProperty(nullableString) step_logging_id: string | null;
  @ApiProperty({ enum: ['PIPELINE', 'STEP'] }) entity_type: string;
  @ApiProperty() from_state: string;
  @ApiProperty() to_state: string;
  @ApiProperty({ format: 'date-time' }) transition_time: string;
  @ApiProperty(nullableString) error_type: string | null;
  @ApiProperty(nullableString) error_message: string | null;
  @ApiProperty(nullableInt) retry_count: number | null;
  @ApiProperty(nullableInt) duration_in_state_ms: number | null;
  @ApiProperty(jsonObject) metadata: Record<string, unknown> | null;
}

export class StateTransitionListDto {
  @ApiProperty({ type: [StateTransitionDto] }) transitions: StateTransitionDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class BatchRunDto {
  @ApiProperty() batch_run_id: string;
  @ApiProperty({ description: 'The org, or ALL for a platform-wide batch' }) org_slug: string;
  @ApiProperty({ enum: ['MANUAL', 'SCHEDULED'] }) trigger_type: string;
  @ApiProperty({ enum: ['COMPLETED', 'PARTIAL'] }) status: string;
  @ApiProperty({ format: 'date' }) run_date: string;
  @ApiProperty() dry_run: boolean;
  @ApiProperty() orgs_processed: number;
  @ApiProperty() orgs_skipped: number;
  @ApiProperty() pipelines_triggered: number;
  @ApiProperty() pipelines_failed: number;
  @ApiProperty() pipelines_skipped_quota: number;
  @ApiProperty() total_integrations: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: "Per-pipeline outcomes; on an ALL row, only this org's entries",
  })
  results: Record<string, unknown>[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: "On an ALL row, only this org's entries",
  })
  errors: unknown[];
  @ApiProperty() elapsed_seconds: number;
  @ApiProperty({ format: 'date-time' }) triggered_at: string;
  @ApiProperty({ format: 'date-time' }) completed_at: string;
}

export class BatchRunListDto {
  @ApiProperty({ type: [BatchRunDto] }) runs: BatchRunDto[];
  @ApiProperty() total: number;
}

export class PipelineDailyStatusDto {
  @ApiProperty() pipeline_id: string;
  @ApiProperty(nullableTime) last_run: string | null;
  @ApiProperty(nullableString) status: string | null;
  @ApiProperty() ran_today: boolean;
  @ApiProperty({ description: 'The latest run today is COMPLETED' }) succeeded_today: boolean;
}

export class PipelineStatusDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ format: 'date', description: 'The UTC date checked' }) check_date: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/PipelineDailyStatusDto' },
  })
  pipelines: Record<string, PipelineDailyStatusDto>;
  @ApiProperty() cached: boolean;
}
