import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { MEMBER_COLUMNS, MEMBER_FROM, toMemberResponse, type MemberResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';

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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, page }: ListMembersQuery): Promise<Page<MemberResponse>> {
    const params: unknown[] = [organization.id];
    const rows = await this.db.query(
      `SELECT ${MEMBER_COLUMNS} FROM ${MEMBER_FROM} WHERE m.organization_id = $1 ORDER BY lower(u.username), u.id ${limitOffsetSql(page, params)}`,
      params,
    );
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM organization_members WHERE organization_id = $1`, [organization.id]);
    return new Page(rows.map(toMemberResponse), count, page);
  }
}
