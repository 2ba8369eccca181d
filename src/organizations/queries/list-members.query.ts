import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Page, type PageRequest } from '../../common/pagination.js';
import { toMemberResponse, type MemberResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';

/** GET /members/{organization}/: the member rows (the owner is not one), by name. */
export class ListMembersQuery extends Query<Page<MemberResponse>> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListMembersQuery)
export class ListMembersHandler implements IQueryHandler<ListMembersQuery> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, page }: ListMembersQuery): Promise<Page<MemberResponse>> {
    const rows = await this.organizations.members(organization.id, page);
    return new Page(rows.map(toMemberResponse), await this.organizations.memberCount(organization.id), page);
  }
}
