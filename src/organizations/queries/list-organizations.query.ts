import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { PermissionDenied } from '../../common/errors.js';
import { Page, type PageRequest } from '../../common/pagination.js';
import { toOrganizationResponse, type OrganizationResponse } from '../dto/organization.dto.js';
import { OrganizationsRepository } from '../organizations.repository.js';

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
    private readonly organizations: OrganizationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, page, forUsername }: ListOrganizationsQuery): Promise<Page<OrganizationResponse>> {
    if (forUsername !== undefined && forUsername.toLowerCase() !== actor.username.toLowerCase()) {
      throw new PermissionDenied('You may only list your own organizations');
    }
    const rows = await this.organizations.organizationsOf(actor.id, page);
    const count = await this.organizations.organizationCountOf(actor.id);
    return new Page(
      rows.map((row) => toOrganizationResponse(row, this.config.defaultStorageQuotaBytes)),
      count,
      page,
    );
  }
}
