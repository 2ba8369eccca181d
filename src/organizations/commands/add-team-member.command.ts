import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import type { TeamMemberResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
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
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, team, member }: AddTeamMemberCommand): Promise<TeamMemberResponse> {
    const { id: teamId } = await findTeam(this.organizations, organization, team);
    const person = await this.organizations.insider(organization, member);
    if (!person) throw ValidationFailed.field('member', `"${member}" is not the owner or a member of ${organization.username}`);
    await onUniqueViolation(this.organizations.addTeamMember(teamId, person.id), undefined, () =>
      ValidationFailed.field('member', `"${person.username}" is already in the team`),
    );
    return { member: person.username };
  }
}
