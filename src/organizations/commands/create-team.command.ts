import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountType } from '../../accounts/account.entity.js';
import { isUniqueViolation } from '../../database/sql.js';
import { ValidationFailed } from '../../common/errors.js';
import { teamAccountName, type TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, team }: CreateTeamCommand): Promise<TeamResponse> {
    assertTeamName(team);
    try {
      await this.db.query(`INSERT INTO accounts (type, username, team_organization_id) VALUES ($1, $2, $3)`, [
        AccountType.Team,
        teamAccountName(organization.username, team),
        organization.id,
      ]);
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_username_key')) throw ValidationFailed.field('team', `The team "${team}" already exists`);
      throw error;
    }
    return { team, organization: organization.username, members: [] };
  }
}
