import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { teamsSql, type TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { findTeam } from '../team-rules.js';

/** GET /organizations/{organization}/teams/{team}/. */
export class GetTeamQuery extends Query<TeamResponse> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly team: string,
  ) {
    super();
  }
}

@QueryHandler(GetTeamQuery)
export class GetTeamHandler implements IQueryHandler<GetTeamQuery> {
  constructor(private readonly db: DataSource) {}

  async execute({ organization, team }: GetTeamQuery): Promise<TeamResponse> {
    const { id } = await findTeam(this.db, organization, team);
    const [row] = await this.db.query(teamsSql('t.id = $2'), [organization.id, id]);
    return row;
  }
}
