import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ObjectNotFound } from '../../common/errors.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { findTeam } from '../team-rules.js';

/** DELETE /organizations/{organization}/teams/{team}/members/{username}/ (owner and admins). */
export class RemoveTeamMemberCommand extends Command<void> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly team: string,
    readonly member: string,
  ) {
    super();
  }
}

@CommandHandler(RemoveTeamMemberCommand)
export class RemoveTeamMemberHandler implements ICommandHandler<RemoveTeamMemberCommand> {
  constructor(private readonly db: DataSource) {}

  async execute({ organization, team, member }: RemoveTeamMemberCommand): Promise<void> {
    const { id: teamId } = await findTeam(this.db, organization, team);
    const [, removed] = await this.db.query(
      `DELETE FROM team_members tm USING accounts u WHERE tm.team_id = $1 AND u.id = tm.member_id AND lower(u.username) = lower($2)`,
      [teamId, member],
    );
    if (!removed) throw new ObjectNotFound(`"${member}" is not in the team`);
  }
}
