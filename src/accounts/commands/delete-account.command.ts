import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { PermissionDenied } from '../../common/errors.js';
import { AccountType } from '../account.entity.js';
import { findAccount } from '../queries/get-user.query.js';

/**
 * DELETE /users/{username}/ (spec §4.1): staff delete persons. Tokens and every other row that points
 * at the account go with it through ON DELETE CASCADE, in the same statement. An account that owns
 * projects stays (400) once projects exist: the projects migration adds that check as a foreign key.
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
    if (account.type !== AccountType.Person || !actor.isStaff) throw new PermissionDenied('Only staff may delete persons');
    await this.db.query(`DELETE FROM accounts WHERE id = $1`, [account.id]);
  }
}
