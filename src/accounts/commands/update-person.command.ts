import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isEmail } from 'class-validator';
import { OPERATOR, type Actor } from '../../common/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { hashPassword } from '../../auth/password.js';
import { ObjectNotFound, PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import { MIN_PASSWORD_LENGTH } from '../account-rules.js';
import { AccountType } from '../../common/account-type.js';
import { AccountsRepository } from '../accounts.repository.js';
import { toPersonResponse, type PersonResponse, type PersonRow } from '../dto/person.dto.js';

export interface PersonChanges {
  first_name?: string;
  last_name?: string;
  email?: string;
  password?: string;
  storage_quota_bytes?: number | null;
  is_active?: boolean;
  is_staff?: boolean;
}

const OWN_FIELDS = new Set(['first_name', 'last_name', 'email', 'password']);
const STAFF_FIELDS = new Set([...OWN_FIELDS, 'storage_quota_bytes', 'is_active']);

/**
 * PATCH /users/{username}/ for a person (spec §4.1): a person changes their own names, e-mail and
 * password; staff change anyone's, and quota and active flag too. `is_staff` is changed only by the
 * operator CLI, never through the API: asking to change it is 403 like any other forbidden field.
 */
export class UpdatePersonCommand extends Command<PersonResponse> {
  constructor(
    readonly actor: Actor,
    readonly username: string,
    readonly changes: PersonChanges,
  ) {
    super();
  }
}

@CommandHandler(UpdatePersonCommand)
export class UpdatePersonHandler implements ICommandHandler<UpdatePersonCommand> {
  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, username, changes }: UpdatePersonCommand): Promise<PersonResponse> {
    const row = await this.apply(actor, username, changes);
    return toPersonResponse(row, actor, this.config.defaultStorageQuotaBytes);
  }

  private async apply(actor: Actor, username: string, changes: PersonChanges): Promise<PersonRow> {
    const target = await this.accounts.findUser(username);
    if (!target) throw new ObjectNotFound(`No user named "${username}"`);
    if (target.type !== AccountType.Person) throw new PermissionDenied();
    const allowed = actor === OPERATOR ? null : actor.isStaff ? STAFF_FIELDS : OWN_FIELDS;
    if (actor.id !== target.id && !actor.isStaff) throw new PermissionDenied('You may only change your own account');
    const given = Object.entries(changes).filter(([, value]) => value !== undefined);
    for (const [field, value] of given) {
      if (allowed !== null && !allowed.has(field) && !(field === 'is_staff' && value === target.is_staff)) {
        throw new PermissionDenied(`You may not change ${field}`);
      }
    }
    if (changes.email !== undefined && !isEmail(changes.email)) throw ValidationFailed.field('email', 'Must be a valid e-mail address');
    if (changes.password !== undefined && changes.password.length < MIN_PASSWORD_LENGTH) {
      throw ValidationFailed.field('password', `Must be at least ${MIN_PASSWORD_LENGTH} characters`);
    }

    const update = this.accounts.updatePerson(target.id, {
      first_name: changes.first_name,
      last_name: changes.last_name,
      email: changes.email,
      password_hash: changes.password === undefined ? undefined : await hashPassword(changes.password),
      storage_quota_bytes: changes.storage_quota_bytes,
      is_active: changes.is_active,
      is_staff: changes.is_staff,
    });
    return onUniqueViolation(update, 'accounts_email_key', () => ValidationFailed.field('email', 'A person with this e-mail address already exists'));
  }
}
