import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const MEMBER_ROLES = ['owner', 'admin', 'collaborator', 'read_only'] as const;

export class MemberEmailsQueryDto {
  @ApiPropertyOptional({ enum: MEMBER_ROLES })
  @IsOptional()
  @IsIn(MEMBER_ROLES)
  role?: string;
}

export class MemberEmailDto {
  @ApiProperty() email: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ enum: MEMBER_ROLES }) role: string;
}

export class MemberEmailsDto {
  @ApiProperty() org_slug: string;
  @ApiProperty({ type: [MemberEmailDto] }) members: MemberEmailDto[];
  @ApiProperty() count: number;
}
