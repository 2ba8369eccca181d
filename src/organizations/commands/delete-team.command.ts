import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
import { findTeam } from '../team-rules.js';

/** DELETE /organizations/{organization}/teams/{team}/: its memberships and collaborations go with it (ON DELETE CASCADE). */
export class DeleteTeamCommand extends Command<void> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly team: string,
  ) {
    super();
  }
}

@CommandHandler(DeleteTeamCommand)
export class DeleteTeamHandler implements ICommandHandler<DeleteTeamCommand> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, team }: DeleteTeamCommand): Promise<void> {
    const { id } = await findTeam(this.organizations, organization, team);
    await this.organizations.deleteTeam(id);
  }
}
