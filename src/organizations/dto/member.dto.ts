import { ApiProperty } from '@nestjs/swagger';
import { MEMBERSHIP_ROLES, type MembershipRole } from './organization-requests.dto.js';

export class MemberResponse {
  @ApiProperty() organization: string;
  @ApiProperty() member: string;
  @ApiProperty({ enum: MEMBERSHIP_ROLES }) role: MembershipRole;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

/** SELECT list for MemberResponse from organization_members m, accounts o (organization), accounts u (member). */
export const MEMBER_COLUMNS = `o.username AS organization, u.username AS member, m.role::text AS role, m.created_at`;
export const MEMBER_FROM = `organization_members m JOIN accounts o ON o.id = m.organization_id JOIN accounts u ON u.id = m.member_id`;

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

/** Teams of organization `$1` as TeamResponse rows; `where` filters `t` (the team account). */
export function teamsSql(where: string, rest = ''): string {
  return `
    SELECT substring(t.username FROM length(o.username) + 3) AS team, o.username AS organization,
           ARRAY(SELECT u.username FROM team_members tm JOIN accounts u ON u.id = tm.member_id WHERE tm.team_id = t.id ORDER BY lower(u.username)) AS members
      FROM accounts t JOIN accounts o ON o.id = t.team_organization_id
     WHERE t.team_organization_id = $1 AND (${where}) ${rest}`;
}

/** The stored name of a team: `@<organization>/<team>` (spec §4). */
export const teamAccountName = (organization: string, team: string) => `@${organization}/${team}`;
