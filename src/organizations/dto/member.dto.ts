import { ApiProperty } from '@nestjs/swagger';
import { MEMBERSHIP_ROLES, type MembershipRole } from './organization-requests.dto.js';

export class MemberResponse {
  @ApiProperty() organization: string;
  @ApiProperty() member: string;
  @ApiProperty({ enum: MEMBERSHIP_ROLES }) role: MembershipRole;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export interface MemberRow {
  organization: string;
  member: string;
  role: MembershipRole;
  created_at: Date;
}

export function toMemberResponse(row: MemberRow): MemberResponse {
  return { organization: row.organization, member: row.member, role: row.role, created_at: new Date(row.created_at).toISOString() };
}

export class TeamResponse {
  @ApiProperty({ description: 'The short name' }) team: string;
  @ApiProperty() organization: string;
  @ApiProperty({ type: [String] }) members: string[];
}

export class TeamMemberResponse {
  @ApiProperty() member: string;
}
