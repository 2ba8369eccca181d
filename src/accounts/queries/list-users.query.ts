import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { AccountType } from '../account.entity.js';
import type { OrganizationResponse } from '../../organizations/dto/organization.dto.js';
import { accountSelectSql, toAccountResponse } from '../dto/account.dto.js';
import type { PersonResponse } from '../dto/person.dto.js';

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
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, search, excludeOrganizations, page }: ListUsersQuery): Promise<Page<PersonResponse | OrganizationResponse>> {
    const types = excludeOrganizations ? [AccountType.Person] : [AccountType.Person, AccountType.Organization];
    const params: unknown[] = [types, `%${escapeLike(search.toLowerCase())}%`, actor.id];
    const where = `a.type = ANY($1) AND lower(a.username) LIKE $2`;
    const rows = await this.db.query(`${accountSelectSql('$3')} WHERE ${where} ORDER BY lower(a.username), a.id ${limitOffsetSql(page, params)}`, params);
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM accounts a WHERE ${where}`, params.slice(0, 2));
    return new Page(rows.map((row: never) => toAccountResponse(row, actor, this.config.defaultStorageQuotaBytes)), count, page);
  }
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}
