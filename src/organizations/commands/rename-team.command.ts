import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import type { TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
import { assertTeamName, findTeam } from '../team-rules.js';

/** PUT /organizations/{organization}/teams/{team}/ with {team}: renames it (owner and admins). */
export class RenameTeamCommand extends Command<TeamResponse> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly team: string,
    readonly newName: string,
  ) {
    super();
  }
}

@CommandHandler(RenameTeamCommand)
export class RenameTeamHandler implements ICommandHandler<RenameTeamCommand> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, team, newName }: RenameTeamCommand): Promise<TeamResponse> {
    const { id } = await findTeam(this.organizations, organization, team);
    assertTeamName(newName);
    await onUniqueViolation(this.organizations.renameTeam(organization, id, newName), 'accounts_username_key', () =>
      ValidationFailed.field('team', `The team "${newName}" already exists`),
    );
    return this.organizations.teamById(organization.id, id);
  }
}
