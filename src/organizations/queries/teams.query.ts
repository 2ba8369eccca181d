import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { teamsSql, type TeamMemberResponse, type TeamResponse } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { findTeam } from '../team-rules.js';

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
