import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { PersonResponse } from '../../accounts/dto/person.dto.js';
import type { Actor } from '../../common/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ObjectNotFound } from '../../common/errors.js';
import { toAccountResponse } from '../dto/account.dto.js';
import type { OrganizationResponse } from '../dto/organization.dto.js';
import { OrganizationsRepository } from '../organizations.repository.js';

/** GET /users/{username}/ (a person or an organization object) and GET /auth/user/. */
export class GetUserQuery extends Query<PersonResponse | OrganizationResponse> {
  constructor(
    readonly actor: Actor,
    readonly username: string,
  ) {
    super();
  }
}

@QueryHandler(GetUserQuery)
export class GetUserHandler implements IQueryHandler<GetUserQuery> {
  constructor(
    private readonly organizations: OrganizationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, username }: GetUserQuery): Promise<PersonResponse | OrganizationResponse> {
    const row = await this.organizations.user(username, actor.id);
    if (!row) throw new ObjectNotFound(`No user named "${username}"`);
    return toAccountResponse(row, actor, this.config.defaultStorageQuotaBytes);
  }
}
