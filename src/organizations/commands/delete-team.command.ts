import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { OrganizationAccess } from '../organization-access.guard.js';
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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, team }: DeleteTeamCommand): Promise<void> {
    const { id } = await findTeam(this.db, organization, team);
    await this.db.query(`DELETE FROM accounts WHERE id = $1`, [id]);
  }
}
