import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { assertAccountName } from '../../accounts/account-rules.js';
import { AccountType } from '../../accounts/account.entity.js';
import type { Actor } from '../../auth/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ValidationFailed } from '../../common/errors.js';
import { isUniqueViolation } from '../../database/sql.js';
import { loadOrganization, type OrganizationResponse } from '../dto/organization.dto.js';

/** POST /organizations/ (spec §4.2): any person creates one and becomes its owner. */
export class CreateOrganizationCommand extends Command<OrganizationResponse> {
  constructor(
    readonly actor: Actor,
    readonly username: string,
    readonly email: string | undefined,
  ) {
    super();
  }
}

@CommandHandler(CreateOrganizationCommand)
export class CreateOrganizationHandler implements ICommandHandler<CreateOrganizationCommand> {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, username, email }: CreateOrganizationCommand): Promise<OrganizationResponse> {
    assertAccountName(username);
    if (email !== undefined && email !== '' && !isEmail(email)) throw ValidationFailed.field('email', 'Must be a valid e-mail address');
    return this.db.transaction(async (db) => {
      let id: string;
      try {
        [{ id }] = await db.query(`INSERT INTO accounts (type, username, email, organization_owner_id) VALUES ($1, $2, $3, $4) RETURNING id`, [
          AccountType.Organization,
          username,
          email || null,
          actor.id,
        ]);
      } catch (error) {
        if (isUniqueViolation(error, 'accounts_username_key')) throw ValidationFailed.field('username', 'An account with this name already exists');
        throw error;
      }
      return loadOrganization(db, actor.id, id, this.config.defaultStorageQuotaBytes);
    });
  }
}
