import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { PersonResponse } from '../../accounts/dto/person.dto.js';
import type { Actor } from '../../common/actor.js';
import { AccountType } from '../../common/account-type.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { Page, type PageRequest } from '../../common/pagination.js';
import { escapeLike } from '../../database/sql.js';
import { toAccountResponse } from '../dto/account.dto.js';
import type { OrganizationResponse } from '../dto/organization.dto.js';
import { OrganizationsRepository } from '../organizations.repository.js';

/** GET /users/?q=: persons and organizations whose name contains q (case-insensitive), never teams. */
export class ListUsersQuery extends Query<Page<PersonResponse | OrganizationResponse>> {
  constructor(
    readonly actor: Actor,
    readonly search: string,
    readonly excludeOrganizations: boolean,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListUsersQuery)
export class ListUsersHandler implements IQueryHandler<ListUsersQuery> {
  constructor(
    private readonly organizations: OrganizationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, search, excludeOrganizations, page }: ListUsersQuery): Promise<Page<PersonResponse | OrganizationResponse>> {
    const types = excludeOrganizations ? [AccountType.Person] : [AccountType.Person, AccountType.Organization];
    const pattern = `%${escapeLike(search.toLowerCase())}%`;
    const rows = await this.organizations.users(types, pattern, actor.id, page);
    const count = await this.organizations.userCount(types, pattern);
    return new Page(
      rows.map((row) => toAccountResponse(row, actor, this.config.defaultStorageQuotaBytes)),
      count,
      page,
    );
  }
}
