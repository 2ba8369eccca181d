import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isEmail } from 'class-validator';
import { hashPassword } from '../../auth/password.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import { assertAccountName, MIN_PASSWORD_LENGTH } from '../account-rules.js';
import { AccountsRepository } from '../accounts.repository.js';
import type { Actor } from '../../common/actor.js';
import { toPersonResponse, type PersonResponse } from '../dto/person.dto.js';

export interface NewPerson {
  username: string;
  /** Required through the API; the bootstrap admin may have none. */
  email: string | null;
  password: string;
  firstName?: string;
  lastName?: string;
  isStaff?: boolean;
}

/** POST /users/ (staff), the first-start admin and the operator CLI all create persons through here. */
export class CreatePersonCommand extends Command<PersonResponse> {
  constructor(
    readonly actor: Actor,
    readonly person: NewPerson,
  ) {
    super();
  }
}

@CommandHandler(CreatePersonCommand)
export class CreatePersonHandler implements ICommandHandler<CreatePersonCommand> {
  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, person }: CreatePersonCommand): Promise<PersonResponse> {
    assertAccountName(person.username);
    if (person.email !== null && !isEmail(person.email)) throw ValidationFailed.field('email', 'Must be a valid e-mail address');
    if (person.password.length < MIN_PASSWORD_LENGTH) throw ValidationFailed.field('password', `Must be at least ${MIN_PASSWORD_LENGTH} characters`);
    const passwordHash = await hashPassword(person.password);
    const insert = this.accounts.insertPerson({
      username: person.username,
      email: person.email,
      firstName: person.firstName ?? '',
      lastName: person.lastName ?? '',
      passwordHash,
      isStaff: person.isStaff ?? false,
    });
    const nameFree = onUniqueViolation(insert, 'accounts_username_key', () => ValidationFailed.field('username', 'An account with this name already exists'));
    const row = await onUniqueViolation(nameFree, 'accounts_email_key', () =>
      ValidationFailed.field('email', 'A person with this e-mail address already exists'),
    );
    return toPersonResponse(row, actor, this.config.defaultStorageQuotaBytes);
  }
}
