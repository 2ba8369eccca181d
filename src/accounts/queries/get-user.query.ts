import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ObjectNotFound } from '../../common/errors.js';
import { AccountType } from '../account.entity.js';
import type { OrganizationResponse } from '../../organizations/dto/organization.dto.js';
import { accountSelectSql, toAccountResponse } from '../dto/account.dto.js';
import { PERSON_COLUMNS, STORAGE_USED_SQL, type PersonResponse, type PersonRow } from '../dto/person.dto.js';

/** A person or organization by name, case-insensitively; teams are not users. 404 when there is none. */
export async function findAccount(db: DataSource | EntityManager, username: string): Promise<PersonRow & { is_active: boolean }> {
  const [row] = await db.query(
    `SELECT ${PERSON_COLUMNS}, a.is_active, ${STORAGE_USED_SQL} AS storage_used_bytes
       FROM accounts a WHERE lower(a.username) = lower($1) AND a.type <> ${AccountType.Team}`,
    [username],
  );
  if (!row) throw new ObjectNotFound(`No user named "${username}"`);
  return row;
}

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
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, username }: GetUserQuery): Promise<PersonResponse | OrganizationResponse> {
    const [row] = await this.db.query(`${accountSelectSql('$2')} WHERE lower(a.username) = lower($1) AND a.type <> ${AccountType.Team}`, [username, actor.id]);
    if (!row) throw new ObjectNotFound(`No user named "${username}"`);
    return toAccountResponse(row, actor, this.config.defaultStorageQuotaBytes);
  }
}
