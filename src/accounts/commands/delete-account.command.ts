import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { AccountType } from '../account.entity.js';
import { findAccount } from '../queries/get-user.query.js';

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
  constructor(private readonly db: DataSource) {}

  async execute({ actor, username }: DeleteAccountCommand): Promise<void> {
    const account = await findAccount(this.db, username);
    if (account.type === AccountType.Person && !actor.isStaff) throw new PermissionDenied('Only staff may delete persons');
    if (account.type === AccountType.Organization) {
      const [{ organization_owner_id }] = await this.db.query(`SELECT organization_owner_id FROM accounts WHERE id = $1`, [account.id]);
      if (organization_owner_id !== actor.id) throw new PermissionDenied("Only the organization's owner may delete it");
    }
    await this.db.transaction(async (db) => {
      // FOR UPDATE conflicts with the key-share lock a project insert takes on its owner: none can appear meanwhile.
      await db.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [account.id]);
      const [owned] = await db.query(`SELECT count(*)::int AS count FROM projects WHERE owner_id = $1`, [account.id]);
      if (owned.count > 0) throw ValidationFailed.field('username', `${account.username} still owns ${owned.count} project(s); transfer or delete them first`);
      const [organizations] = await db.query(`SELECT count(*)::int AS count FROM accounts WHERE organization_owner_id = $1`, [account.id]);
      if (organizations.count > 0) throw ValidationFailed.field('username', `${account.username} still owns ${organizations.count} organization(s); hand them over or delete them first`);
      await db.query(`DELETE FROM accounts WHERE id = $1`, [account.id]);
    });
  }
}
