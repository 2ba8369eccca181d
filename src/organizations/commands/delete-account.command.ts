import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import type { Actor } from '../../common/actor.js';
import { AccountType } from '../../common/account-type.js';
import { ObjectNotFound, PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { OrganizationsRepository } from '../organizations.repository.js';

/**
 * DELETE /users/{username}/ (spec §4.1): staff delete persons, an organization's owner deletes it.
 * Only accounts that own no project can go (400), and a person who owns organizations must hand them
 * over first (400). Tokens, memberships, team memberships, collaborations and an organization's teams
 * go with the account through ON DELETE CASCADE, in the same transaction.
 */
export class DeleteAccountCommand extends Command<void> {
  constructor(
    readonly actor: Actor,
    readonly username: string,
  ) {
    super();
  }
}

@CommandHandler(DeleteAccountCommand)
export class DeleteAccountHandler implements ICommandHandler<DeleteAccountCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly accountsRepository: AccountsRepository,
    private readonly organizations: OrganizationsRepository,
  ) {}

  async execute({ actor, username }: DeleteAccountCommand): Promise<void> {
    const account = await this.accountsRepository.findUser(username);
    if (!account) throw new ObjectNotFound(`No user named "${username}"`);
    if (account.type === AccountType.Person && !actor.isStaff) throw new PermissionDenied('Only staff may delete persons');
    if (account.type === AccountType.Organization && (await this.organizations.standing(account.id, actor.id)) !== 'owner') {
      throw new PermissionDenied("Only the organization's owner may delete it");
    }
    await this.dataSource.transaction(async (tx) => {
      const accounts = this.accountsRepository.withinTx(tx);
      await accounts.lock(account.id);
      const projects = await accounts.ownedProjectCount(account.id);
      if (projects > 0) throw ValidationFailed.field('username', `${account.username} still owns ${projects} project(s); transfer or delete them first`);
      const organizations = await accounts.ownedOrganizationCount(account.id);
      if (organizations > 0)
        throw ValidationFailed.field('username', `${account.username} still owns ${organizations} organization(s); hand them over or delete them first`);
      await accounts.delete(account.id);
    });
  }
}
