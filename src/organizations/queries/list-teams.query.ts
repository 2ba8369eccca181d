import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { teamsSql, type TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';

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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, page }: ListTeamsQuery): Promise<Page<TeamResponse>> {
    const params: unknown[] = [organization.id];
    const rows = await this.db.query(teamsSql('true', `ORDER BY lower(t.username), t.id ${limitOffsetSql(page, params)}`), params);
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM accounts WHERE team_organization_id = $1`, [organization.id]);
    return new Page(rows, count, page);
  }
}
