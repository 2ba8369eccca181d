import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import type { TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
import { assertTeamName } from '../team-rules.js';

/** POST /organizations/{organization}/teams/ (spec §4.2): owner and admins; the team starts empty. */
export class CreateTeamCommand extends Command<TeamResponse> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly team: string,
  ) {
    super();
  }
}

@CommandHandler(CreateTeamCommand)
export class CreateTeamHandler implements ICommandHandler<CreateTeamCommand> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, team }: CreateTeamCommand): Promise<TeamResponse> {
    assertTeamName(team);
    await onUniqueViolation(this.organizations.insertTeam(organization, team), 'accounts_username_key', () =>
      ValidationFailed.field('team', `The team "${team}" already exists`),
    );
    return { team, organization: organization.username, members: [] };
  }
}
