import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { hashPassword } from '../../auth/password.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ValidationFailed } from '../../common/errors.js';
import { isUniqueViolation } from '../../database/sql.js';
import { assertAccountName, MIN_PASSWORD_LENGTH } from '../account-rules.js';
import { AccountType } from '../account.entity.js';
import type { Actor } from '../../auth/actor.js';
import { PERSON_COLUMNS, STORAGE_USED_SQL, toPersonResponse, type PersonResponse } from '../dto/person.dto.js';

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
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, person }: CreatePersonCommand): Promise<PersonResponse> {
    assertAccountName(person.username);
    if (person.email !== null && !isEmail(person.email)) throw ValidationFailed.field('email', 'Must be a valid e-mail address');
    if (person.password.length < MIN_PASSWORD_LENGTH) throw ValidationFailed.field('password', `Must be at least ${MIN_PASSWORD_LENGTH} characters`);
    const passwordHash = await hashPassword(person.password);
    try {
      const [row] = await this.db.query(
        `INSERT INTO accounts AS a (type, username, email, first_name, last_name, password_hash, is_staff)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING ${PERSON_COLUMNS}, ${STORAGE_USED_SQL} AS storage_used_bytes`,
        [AccountType.Person, person.username, person.email, person.firstName ?? '', person.lastName ?? '', passwordHash, person.isStaff ?? false],
      );
      return toPersonResponse(row, actor, this.config.defaultStorageQuotaBytes);
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_username_key')) throw ValidationFailed.field('username', 'An account with this name already exists');
      if (isUniqueViolation(error, 'accounts_email_key')) throw ValidationFailed.field('email', 'A person with this e-mail address already exists');
      throw error;
    }
  }
}
