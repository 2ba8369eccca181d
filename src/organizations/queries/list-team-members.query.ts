import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Page, type PageRequest } from '../../common/pagination.js';
import type { TeamMemberResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
import { findTeam } from '../team-rules.js';

/** GET /organizations/{organization}/teams/{team}/members/. */
export class ListTeamMembersQuery extends Query<Page<TeamMemberResponse>> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly team: string,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListTeamMembersQuery)
export class ListTeamMembersHandler implements IQueryHandler<ListTeamMembersQuery> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, team, page }: ListTeamMembersQuery): Promise<Page<TeamMemberResponse>> {
    const { id } = await findTeam(this.organizations, organization, team);
    const rows = await this.organizations.teamMembers(id, page);
    return new Page(rows, await this.organizations.teamMemberCount(id), page);
  }
}
