import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ObjectNotFound } from '../../common/errors.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
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
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, team, member }: RemoveTeamMemberCommand): Promise<void> {
    const { id: teamId } = await findTeam(this.organizations, organization, team);
    if (!(await this.organizations.removeTeamMember(teamId, member))) throw new ObjectNotFound(`"${member}" is not in the team`);
  }
}
