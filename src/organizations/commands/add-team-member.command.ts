import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ValidationFailed } from '../../common/errors.js';
import { isUniqueViolation } from '../../database/sql.js';
import type { TeamMemberResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { findTeam } from '../team-rules.js';

/** POST /organizations/{organization}/teams/{team}/members/: the person must be the organization's owner or a member (400 otherwise). */
export class AddTeamMemberCommand extends Command<TeamMemberResponse> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly team: string,
    readonly member: string,
  ) {
    super();
  }
}

@CommandHandler(AddTeamMemberCommand)
export class AddTeamMemberHandler implements ICommandHandler<AddTeamMemberCommand> {
  constructor(private readonly db: DataSource) {}

  async execute({ organization, team, member }: AddTeamMemberCommand): Promise<TeamMemberResponse> {
    const { id: teamId } = await findTeam(this.db, organization, team);
    const [person] = await this.db.query(
      `SELECT u.id, u.username FROM accounts u
        WHERE lower(u.username) = lower($2)
          AND (u.id = $3 OR EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = $1 AND m.member_id = u.id))`,
      [organization.id, member, organization.ownerId],
    );
    if (!person) throw ValidationFailed.field('member', `"${member}" is not the owner or a member of ${organization.username}`);
    try {
      await this.db.query(`INSERT INTO team_members (team_id, member_id) VALUES ($1, $2)`, [teamId, person.id]);
    } catch (error) {
      if (isUniqueViolation(error)) throw ValidationFailed.field('member', `"${person.username}" is already in the team`);
      throw error;
    }
    return { member: person.username };
  }
}
