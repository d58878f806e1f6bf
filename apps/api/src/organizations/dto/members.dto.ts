import { ApiProperty } from '@nestjs/swagger';
import { EnumFilter } from '../../common/query-fields.js';

export const MEMBER_ROLES = ['owner', 'admin', 'collaborator', 'read_only'] as const;

export class MemberEmailsQueryDto {
  @EnumFilter(MEMBER_ROLES, 'lower')
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
