import { Injectable } from '@nestjs/common';
import { Account } from '../accounts/account.entity.js';
import type { PersonRow } from '../accounts/dto/person.dto.js';
import { AccountType } from '../common/account-type.js';
import { limitOffsetSql, type PageRequest } from '../common/pagination.js';
import type { MembershipRole, ProjectRole, Standing } from '../common/roles.js';
import { execute, selectOne, selectRows, SqlRepository } from '../database/sql.js';
import type { MemberRow, TeamResponse } from './dto/member.dto.js';
import type { OrganizationRow } from './dto/organization.dto.js';
import { OrganizationMember } from './organization-member.entity.js';
import { MEMBER_COLUMNS, MEMBER_FROM, organizationsSql, standingSql, teamAccountName, teamsSql, userSelectSql } from './organizations.sql.js';
import { TeamMember } from './team-member.entity.js';

/** An organization as the access guard resolved it for the caller. */
export interface OrganizationAccess {
  id: string;
  username: string;
  ownerId: string;
  standing: Standing;
}

/** The organization's name and id, all team statements need. */
type OrganizationRef = Pick<OrganizationAccess, 'id' | 'username'>;

/** Organizations `$1` owns or belongs to (needs organizationJoins). */
const MINE = `a.organization_owner_id = $1 OR vm.member_id IS NOT NULL`;
/** Accounts of types `$1` whose lower-cased name is LIKE `$2`. */
const USERS_WHERE = `a.type = ANY($1) AND lower(a.username) LIKE $2`;

/**
 * Organizations (accounts of type 2), their members (organization_members), their teams (accounts of
 * type 3) and team members (team_members); and the /users read model, which answers persons and
 * organizations in one statement.
 */
@Injectable()
export class OrganizationsRepository extends SqlRepository {
  // --- standing: the one place -------------------------------------------------------------------

  /** The organization named `name` (case-insensitive) and the caller's standing in it. */
  async access(name: string, userId: string): Promise<OrganizationAccess | undefined> {
    const row = await selectOne<{ id: string; username: string; owner_id: string; standing: Standing }>(
      this.db,
      `SELECT o.id, o.username, o.organization_owner_id AS owner_id, ${standingSql('o', '$2', 'm')} AS standing
         FROM accounts o LEFT JOIN organization_members m ON m.organization_id = o.id AND m.member_id = $2
        WHERE lower(o.username) = lower($1) AND o.type = ${AccountType.Organization}`,
      [name, userId],
    );
    return row && { id: row.id, username: row.username, ownerId: row.owner_id, standing: row.standing };
  }

  /** The caller's standing in the organization with this id. */
  async standing(organizationId: string, userId: string): Promise<Standing> {
    const row = await selectOne<{ standing: Standing }>(
      this.db,
      `SELECT ${standingSql('o', '$2', 'm')} AS standing
         FROM accounts o LEFT JOIN organization_members m ON m.organization_id = o.id AND m.member_id = $2
        WHERE o.id = $1`,
      [organizationId, userId],
    );
    return row?.standing ?? null;
  }

  // --- the /users read model ---------------------------------------------------------------------

  /** A person or organization by name (case-insensitive) as `viewerId` sees it; teams are not users. */
  user(username: string, viewerId: string): Promise<(PersonRow & OrganizationRow) | undefined> {
    return selectOne(this.db, `${userSelectSql('$2')} WHERE lower(a.username) = lower($1) AND a.type <> ${AccountType.Team}`, [username, viewerId]);
  }

  /** Accounts of `types` whose lower-cased name is LIKE `pattern`, by name. */
  users(types: AccountType[], pattern: string, viewerId: string, page: PageRequest): Promise<(PersonRow & OrganizationRow)[]> {
    const params: unknown[] = [types, pattern, viewerId];
    return selectRows(this.db, `${userSelectSql('$3')} WHERE ${USERS_WHERE} ORDER BY lower(a.username), a.id ${limitOffsetSql(page, params)}`, params);
  }

  async userCount(types: AccountType[], pattern: string): Promise<number> {
    return (await selectOne<{ count: number }>(this.db, `SELECT count(*)::int AS count FROM accounts a WHERE ${USERS_WHERE}`, [types, pattern]))!.count;
  }

  // --- organizations -----------------------------------------------------------------------------

  async organization(organizationId: string, viewerId: string): Promise<OrganizationRow> {
    return (await selectOne<OrganizationRow>(this.db, organizationsSql('$1', 'a.id = $2'), [viewerId, organizationId]))!;
  }

  /** The organizations `viewerId` owns or belongs to, by name. */
  organizationsOf(viewerId: string, page: PageRequest): Promise<OrganizationRow[]> {
    const params: unknown[] = [viewerId];
    return selectRows(this.db, organizationsSql('$1', MINE, `ORDER BY lower(a.username), a.id ${limitOffsetSql(page, params)}`), params);
  }

  async organizationCountOf(viewerId: string): Promise<number> {
    const row = await selectOne<{ count: number }>(
      this.db,
      `SELECT count(*)::int AS count FROM accounts a LEFT JOIN organization_members vm ON vm.organization_id = a.id AND vm.member_id = $1
        WHERE a.type = ${AccountType.Organization} AND (${MINE})`,
      [viewerId],
    );
    return row!.count;
  }

  async insertOrganization(username: string, email: string | null, ownerId: string): Promise<string> {
    const { identifiers } = await this.db.getRepository(Account).insert({ type: AccountType.Organization, username, email, organizationOwnerId: ownerId });
    return identifiers[0].id as string;
  }

  async update(
    organizationId: string,
    changes: { email?: string | null; defaultProjectRoleForMembers?: ProjectRole | null; storageQuotaBytes?: number | null },
  ): Promise<void> {
    await this.db.getRepository(Account).update({ id: organizationId }, changes);
  }

  /** The member becomes the owner (and stops being a member row); the old owner becomes an admin member. */
  async handOver(organizationId: string, oldOwnerId: string, newOwnerId: string): Promise<void> {
    const members = this.db.getRepository(OrganizationMember);
    await members.delete({ organizationId, memberId: newOwnerId });
    await members.insert({ organizationId, memberId: oldOwnerId, role: 'admin' });
    await this.db.getRepository(Account).update({ id: organizationId }, { organizationOwnerId: newOwnerId });
  }

  // --- members -----------------------------------------------------------------------------------

  /** A member row by the member's name (case-insensitive). */
  member(organizationId: string, username: string): Promise<(MemberRow & { member_id: string }) | undefined> {
    return selectOne(this.db, `SELECT m.member_id, ${MEMBER_COLUMNS} FROM ${MEMBER_FROM} WHERE m.organization_id = $1 AND lower(u.username) = lower($2)`, [
      organizationId,
      username,
    ]);
  }

  async memberById(organizationId: string, memberId: string): Promise<MemberRow> {
    return (await selectOne<MemberRow>(this.db, `SELECT ${MEMBER_COLUMNS} FROM ${MEMBER_FROM} WHERE m.organization_id = $1 AND m.member_id = $2`, [
      organizationId,
      memberId,
    ]))!;
  }

  members(organizationId: string, page: PageRequest): Promise<MemberRow[]> {
    const params: unknown[] = [organizationId];
    return selectRows(
      this.db,
      `SELECT ${MEMBER_COLUMNS} FROM ${MEMBER_FROM} WHERE m.organization_id = $1 ORDER BY lower(u.username), u.id ${limitOffsetSql(page, params)}`,
      params,
    );
  }

  memberCount(organizationId: string): Promise<number> {
    return this.db.getRepository(OrganizationMember).countBy({ organizationId });
  }

  /** Fails with a unique violation (organization_members_pkey) when they already are a member. */
  async addMember(organizationId: string, memberId: string, role: MembershipRole): Promise<void> {
    await this.db.getRepository(OrganizationMember).insert({ organizationId, memberId, role });
  }

  async setMemberRole(organizationId: string, memberId: string, role: MembershipRole): Promise<MemberRow> {
    const { rows } = await execute<MemberRow>(
      this.db,
      `UPDATE organization_members m SET role = $3 FROM accounts o, accounts u
        WHERE m.organization_id = $1 AND m.member_id = $2 AND o.id = m.organization_id AND u.id = m.member_id
        RETURNING ${MEMBER_COLUMNS}`,
      [organizationId, memberId, role],
    );
    return rows[0];
  }

  /** The membership, the member's team memberships in the organization and their direct collaborations on its projects. */
  async removeMember(organizationId: string, memberId: string): Promise<void> {
    await this.db.getRepository(OrganizationMember).delete({ organizationId, memberId });
    await execute(this.db, `DELETE FROM team_members tm USING accounts t WHERE tm.team_id = t.id AND t.team_organization_id = $1 AND tm.member_id = $2`, [
      organizationId,
      memberId,
    ]);
    await execute(this.db, `DELETE FROM project_collaborators c USING projects p WHERE c.project_id = p.id AND p.owner_id = $1 AND c.collaborator_id = $2`, [
      organizationId,
      memberId,
    ]);
  }

  // --- teams -------------------------------------------------------------------------------------

  /** The team account of an organization by short name (case-insensitive). */
  team(organization: OrganizationRef, team: string): Promise<{ id: string; team: string } | undefined> {
    return selectOne(
      this.db,
      `SELECT id, substring(username FROM $3::int) AS team FROM accounts WHERE team_organization_id = $1 AND lower(username) = lower($2)`,
      [organization.id, teamAccountName(organization.username, team), organization.username.length + 3],
    );
  }

  async teamById(organizationId: string, teamId: string): Promise<TeamResponse> {
    return (await selectOne<TeamResponse>(this.db, teamsSql('t.id = $2'), [organizationId, teamId]))!;
  }

  teams(organizationId: string, page: PageRequest): Promise<TeamResponse[]> {
    const params: unknown[] = [organizationId];
    return selectRows(this.db, teamsSql('true', `ORDER BY lower(t.username), t.id ${limitOffsetSql(page, params)}`), params);
  }

  teamCount(organizationId: string): Promise<number> {
    return this.db.getRepository(Account).countBy({ teamOrganizationId: organizationId });
  }

  /** Fails with a unique violation (accounts_username_key) when the name is taken. */
  async insertTeam(organization: OrganizationRef, team: string): Promise<void> {
    await this.db
      .getRepository(Account)
      .insert({ type: AccountType.Team, username: teamAccountName(organization.username, team), teamOrganizationId: organization.id });
  }

  /** Fails with a unique violation (accounts_username_key) when the name is taken. */
  async renameTeam(organization: OrganizationRef, teamId: string, team: string): Promise<void> {
    await this.db.getRepository(Account).update({ id: teamId }, { username: teamAccountName(organization.username, team) });
  }

  /** Its memberships and collaborations go with it (ON DELETE CASCADE). */
  async deleteTeam(teamId: string): Promise<void> {
    await this.db.getRepository(Account).delete({ id: teamId });
  }

  teamMembers(teamId: string, page: PageRequest): Promise<{ member: string }[]> {
    const params: unknown[] = [teamId];
    return selectRows(
      this.db,
      `SELECT u.username AS member FROM team_members tm JOIN accounts u ON u.id = tm.member_id
        WHERE tm.team_id = $1 ORDER BY lower(u.username), u.id ${limitOffsetSql(page, params)}`,
      params,
    );
  }

  teamMemberCount(teamId: string): Promise<number> {
    return this.db.getRepository(TeamMember).countBy({ teamId });
  }

  /** The organization's owner or one of its members, by name (case-insensitive): who may join its teams. */
  insider(organization: OrganizationAccess, username: string): Promise<{ id: string; username: string } | undefined> {
    return selectOne(
      this.db,
      `SELECT u.id, u.username FROM accounts u
        WHERE lower(u.username) = lower($2)
          AND (u.id = $3 OR EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = $1 AND m.member_id = u.id))`,
      [organization.id, username, organization.ownerId],
    );
  }

  /** Fails with a unique violation when they already are in the team. */
  async addTeamMember(teamId: string, memberId: string): Promise<void> {
    await this.db.getRepository(TeamMember).insert({ teamId, memberId });
  }

  /** Whether a person of that name was in the team. */
  async removeTeamMember(teamId: string, username: string): Promise<boolean> {
    const { affected } = await execute(
      this.db,
      `DELETE FROM team_members tm USING accounts u WHERE tm.team_id = $1 AND u.id = tm.member_id AND lower(u.username) = lower($2)`,
      [teamId, username],
    );
    return affected > 0;
  }
}
