import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ValidationFailed } from '../../common/errors.js';
import { isUniqueViolation } from '../../database/sql.js';
import { teamAccountName, teamsSql, type TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, team, newName }: RenameTeamCommand): Promise<TeamResponse> {
    const { id } = await findTeam(this.db, organization, team);
    assertTeamName(newName);
    try {
      await this.db.query(`UPDATE accounts SET username = $2, updated_at = now() WHERE id = $1`, [id, teamAccountName(organization.username, newName)]);
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_username_key')) throw ValidationFailed.field('team', `The team "${newName}" already exists`);
      throw error;
    }
    const [row] = await this.db.query(teamsSql('t.id = $2'), [organization.id, id]);
    return row;
  }
}
