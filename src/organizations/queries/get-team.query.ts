import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
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
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, team }: GetTeamQuery): Promise<TeamResponse> {
    const { id } = await findTeam(this.organizations, organization, team);
    return this.organizations.teamById(organization.id, id);
  }
}
