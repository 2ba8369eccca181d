import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { PermissionDenied } from '../../common/errors.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { organizationsSql, toOrganizationResponse, type OrganizationResponse } from '../dto/organization.dto.js';

const MINE = `a.organization_owner_id = $1 OR vm.member_id IS NOT NULL`;

/**
 * GET /organizations/ and GET /users/{username}/organizations/ (spec §4.2): the organizations the
 * caller owns or belongs to. For another person's name the answer is 403.
 */
export class ListOrganizationsQuery extends Query<Page<OrganizationResponse>> {
  constructor(
    readonly actor: Actor,
    readonly page: PageRequest,
    readonly forUsername?: string,
  ) {
    super();
  }
}

@QueryHandler(ListOrganizationsQuery)
export class ListOrganizationsHandler implements IQueryHandler<ListOrganizationsQuery> {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, page, forUsername }: ListOrganizationsQuery): Promise<Page<OrganizationResponse>> {
    if (forUsername !== undefined && forUsername.toLowerCase() !== actor.username.toLowerCase()) {
      throw new PermissionDenied('You may only list your own organizations');
    }
    const params: unknown[] = [actor.id];
    const rows = await this.db.query(organizationsSql('$1', MINE, `ORDER BY lower(a.username), a.id ${limitOffsetSql(page, params)}`), params);
    const [{ count }] = await this.db.query(
      `SELECT count(*)::int AS count FROM accounts a LEFT JOIN organization_members vm ON vm.organization_id = a.id AND vm.member_id = $1
        WHERE a.type = 2 AND (${MINE})`,
      [actor.id],
    );
    return new Page(rows.map((row: never) => toOrganizationResponse(row, this.config.defaultStorageQuotaBytes)), count, page);
  }
}
