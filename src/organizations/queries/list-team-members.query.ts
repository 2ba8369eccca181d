import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import type { TeamMemberResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, team, page }: ListTeamMembersQuery): Promise<Page<TeamMemberResponse>> {
    const { id } = await findTeam(this.db, organization, team);
    const params: unknown[] = [id];
    const rows = await this.db.query(
      `SELECT u.username AS member FROM team_members tm JOIN accounts u ON u.id = tm.member_id
        WHERE tm.team_id = $1 ORDER BY lower(u.username), u.id ${limitOffsetSql(page, params)}`,
      params,
    );
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM team_members WHERE team_id = $1`, [id]);
    return new Page(rows, count, page);
  }
}
