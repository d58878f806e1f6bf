import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { NoFilterWhenBlank, QueryFlag } from '../../common/query-fields.js';

export class PipelineDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: ['cloud', 'genai', 'subscription'] }) category: string;
  @ApiProperty({ description: '"" when the run path has no provider segment' }) provider: string;
  @ApiProperty() domain: string;
  @ApiProperty() pipeline: string;
  @ApiProperty({ description: 'Provider whose credential a run needs; "" for none' })
  required_integration: string;
  @ApiProperty() schedule: string;
  @ApiProperty() enabled: boolean;
}

export class PipelineListDto {
  @ApiProperty({ enum: [true] }) success: true;
  @ApiProperty({ type: [PipelineDto] }) pipelines: PipelineDto[];
  @ApiProperty() total: number;
}

export class PipelineListQueryDto {
  @ApiPropertyOptional({ description: 'The registry provider (genai, gcp, ...), any case' })
  @NoFilterWhenBlank()
  @IsOptional()
  @IsString()
  @Length(1, 50)
  provider?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @QueryFlag(true)
  enabled_only: boolean = true;
}

export class PipelineIdParamDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  pipeline_id: string;
}
