import { ApiProperty } from '@nestjs/swagger';
import { PROJECT_ROLES, type ProjectRole, type Standing } from '../../common/roles.js';

/** The organization object of spec §4.2; outsiders get nulls for everything but name, type, avatar and owner. */
export class OrganizationResponse {
  @ApiProperty() username: string;
  @ApiProperty({ enum: [2] }) type: 2;
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Always null: Fieldbase hosts no avatars' }) avatar_url: string | null;
  @ApiProperty() organization_owner: string;
  @ApiProperty({ nullable: true, type: [String], description: 'Member usernames (members only)' }) members: string[] | null;
  @ApiProperty({ nullable: true, type: [String], description: 'Team short names (members only)' }) teams: string[] | null;
  @ApiProperty({ nullable: true, enum: ['admin', 'creator', 'member'], type: String }) membership_role: 'admin' | 'creator' | 'member' | null;
  @ApiProperty({ nullable: true, enum: ['organization_owner', 'organization_member'], type: String }) membership_role_origin:
    'organization_owner' | 'organization_member' | null;
  @ApiProperty({ nullable: true, enum: PROJECT_ROLES, type: String }) default_project_role_for_members: ProjectRole | null;
  @ApiProperty({ nullable: true, type: 'integer' }) storage_quota_bytes: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) storage_used_bytes: number | null;
}

/** The columns of an organization object (organizations.sql.ts: organizationsSql). */
export interface OrganizationRow {
  id: string;
  username: string;
  email: string | null;
  organization_owner: string;
  default_role: ProjectRole | null;
  storage_quota_bytes: string | number | null;
  storage_used_bytes: string | number;
  standing: Standing;
  members: string[];
  teams: string[];
}

export function toOrganizationResponse(row: OrganizationRow, defaultQuotaBytes: number): OrganizationResponse {
  const inside = row.standing !== null;
  return {
    username: row.username,
    type: 2,
    email: inside ? row.email : null,
    avatar_url: null,
    organization_owner: row.organization_owner,
    members: inside ? row.members : null,
    teams: inside ? row.teams : null,
    membership_role: row.standing === 'owner' ? 'admin' : row.standing,
    membership_role_origin: row.standing === 'owner' ? 'organization_owner' : row.standing ? 'organization_member' : null,
    default_project_role_for_members: inside ? row.default_role : null,
    storage_quota_bytes: inside ? (row.storage_quota_bytes === null ? defaultQuotaBytes : Number(row.storage_quota_bytes)) : null,
    storage_used_bytes: inside ? Number(row.storage_used_bytes) : null,
  };
}
