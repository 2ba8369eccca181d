import { ApiProperty } from '@nestjs/swagger';
import type { EntityManager } from 'typeorm';
import { AccountType } from '../../accounts/account.entity.js';
import { STORAGE_USED_SQL } from '../../accounts/storage-usage.js';
import { PROJECT_ROLES, type ProjectRole } from '../../projects/roles/roles.js';

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
  @ApiProperty({ nullable: true, enum: ['organization_owner', 'organization_member'], type: String }) membership_role_origin: 'organization_owner' | 'organization_member' | null;
  @ApiProperty({ nullable: true, enum: PROJECT_ROLES, type: String }) default_project_role_for_members: ProjectRole | null;
  @ApiProperty({ nullable: true, type: 'integer' }) storage_quota_bytes: number | null;
  @ApiProperty({ nullable: true, type: 'integer' }) storage_used_bytes: number | null;
}

/**
 * The columns of the organization object beyond the account's own, for `a` (the account) as `viewer`
 * (a SQL expression) sees it; needs ORGANIZATION_JOINS. Members and teams are aggregated in place, so
 * a list of organizations is still one statement.
 */
export const organizationColumns = (viewer: string) => `
  ow.username AS organization_owner, a.default_project_role_for_members::text AS default_role,
  CASE WHEN a.organization_owner_id = ${viewer} THEN 'owner' ELSE vm.role::text END AS standing,
  ARRAY(SELECT mu.username FROM organization_members om JOIN accounts mu ON mu.id = om.member_id
         WHERE om.organization_id = a.id ORDER BY lower(mu.username)) AS members,
  ARRAY(SELECT substring(t.username FROM length(a.username) + 3) FROM accounts t
         WHERE t.team_organization_id = a.id ORDER BY lower(t.username)) AS teams`;

export const organizationJoins = (viewer: string) => `
  LEFT JOIN accounts ow ON ow.id = a.organization_owner_id
  LEFT JOIN organization_members vm ON vm.organization_id = a.id AND vm.member_id = ${viewer}`;

/** Organizations as `viewer` sees them, in one statement; `where` is a condition on `a` (the organization). */
export function organizationsSql(viewer: string, where: string, rest = ''): string {
  return `
    SELECT a.id, a.username, a.email, a.storage_quota_bytes, ${STORAGE_USED_SQL} AS storage_used_bytes, ${organizationColumns(viewer)}
      FROM accounts a ${organizationJoins(viewer)}
     WHERE a.type = ${AccountType.Organization} AND (${where}) ${rest}`;
}

export interface OrganizationRow {
  id: string;
  username: string;
  email: string | null;
  organization_owner: string;
  default_role: ProjectRole | null;
  storage_quota_bytes: string | number | null;
  storage_used_bytes: string | number;
  standing: 'owner' | 'admin' | 'creator' | 'member' | null;
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

export async function loadOrganization(db: EntityManager, viewerId: string, organizationId: string, defaultQuotaBytes: number): Promise<OrganizationResponse> {
  const [row] = await db.query(organizationsSql('$1', 'a.id = $2'), [viewerId, organizationId]);
  return toOrganizationResponse(row, defaultQuotaBytes);
}
