import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import { UpdatePersonCommand } from '../../accounts/commands/update-person.command.js';
import type { PersonResponse } from '../../accounts/dto/person.dto.js';
import type { UpdateUserBody } from '../../accounts/dto/user-requests.dto.js';
import type { Actor } from '../../common/actor.js';
import { AccountType } from '../../common/account-type.js';
import { ObjectNotFound } from '../../common/errors.js';
import type { OrganizationResponse } from '../dto/organization.dto.js';
import { UpdateOrganizationCommand } from './update-organization.command.js';

/** PATCH|PUT /users/{username}/: one URL for persons and organizations, each with its own rules. */
export class UpdateUserCommand extends Command<PersonResponse | OrganizationResponse> {
  constructor(
    readonly actor: Actor,
    readonly username: string,
    readonly body: UpdateUserBody,
  ) {
    super();
  }
}

@CommandHandler(UpdateUserCommand)
export class UpdateUserHandler implements ICommandHandler<UpdateUserCommand> {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly commands: CommandBus,
  ) {}

  async execute({ actor, username, body }: UpdateUserCommand): Promise<PersonResponse | OrganizationResponse> {
    const account = await this.accounts.findUser(username);
    if (!account) throw new ObjectNotFound(`No user named "${username}"`);
    if (account.type === AccountType.Organization) {
      const { email, default_project_role_for_members, organization_owner, storage_quota_bytes } = body;
      return this.commands.execute(
        new UpdateOrganizationCommand(actor, username, { email, default_project_role_for_members, organization_owner, storage_quota_bytes }),
      );
    }
    const { first_name, last_name, email, password, storage_quota_bytes, is_active, is_staff } = body;
    return this.commands.execute(
      new UpdatePersonCommand(actor, username, { first_name, last_name, email, password, storage_quota_bytes, is_active, is_staff }),
    );
  }
}
