import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Page, type PageRequest } from '../../common/pagination.js';
import type { TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';

/** GET /organizations/{organization}/teams/ (owner and members). */
export class ListTeamsQuery extends Query<Page<TeamResponse>> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListTeamsQuery)
export class ListTeamsHandler implements IQueryHandler<ListTeamsQuery> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, page }: ListTeamsQuery): Promise<Page<TeamResponse>> {
    const rows = await this.organizations.teams(organization.id, page);
    return new Page(rows, await this.organizations.teamCount(organization.id), page);
  }
}
