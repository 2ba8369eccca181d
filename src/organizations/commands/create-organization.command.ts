import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { assertAccountName } from '../../accounts/account-rules.js';
import type { Actor } from '../../common/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import { toOrganizationResponse, type OrganizationResponse } from '../dto/organization.dto.js';
import { OrganizationsRepository } from '../organizations.repository.js';

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
    private readonly dataSource: DataSource,
    private readonly organizations: OrganizationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, username, email }: CreateOrganizationCommand): Promise<OrganizationResponse> {
    assertAccountName(username);
    if (email !== undefined && email !== '' && !isEmail(email)) throw ValidationFailed.field('email', 'Must be a valid e-mail address');
    return this.dataSource.transaction(async (tx) => {
      const organizations = this.organizations.withinTx(tx);
      const id = await onUniqueViolation(organizations.insertOrganization(username, email || null, actor.id), 'accounts_username_key', () =>
        ValidationFailed.field('username', 'An account with this name already exists'),
      );
      return toOrganizationResponse(await organizations.organization(id, actor.id), this.config.defaultStorageQuotaBytes);
    });
  }
}
