import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { UpdateOrganizationCommand } from '../../organizations/commands/update-organization.command.js';
import type { OrganizationResponse } from '../../organizations/dto/organization.dto.js';
import { AccountType } from '../account.entity.js';
import type { UpdateUserBody } from '../dto/user-requests.dto.js';
import type { PersonResponse } from '../dto/person.dto.js';
import { findAccount } from '../queries/get-user.query.js';
import { UpdatePersonCommand } from './update-person.command.js';

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
    private readonly db: DataSource,
    private readonly commands: CommandBus,
  ) {}

  async execute({ actor, username, body }: UpdateUserCommand): Promise<PersonResponse | OrganizationResponse> {
    const account = await findAccount(this.db, username);
    if (account.type === AccountType.Organization) {
      const { email, default_project_role_for_members, organization_owner, storage_quota_bytes } = body;
      return this.commands.execute(new UpdateOrganizationCommand(actor, username, { email, default_project_role_for_members, organization_owner, storage_quota_bytes }));
    }
    const { first_name, last_name, email, password, storage_quota_bytes, is_active, is_staff } = body;
    return this.commands.execute(new UpdatePersonCommand(actor, username, { first_name, last_name, email, password, storage_quota_bytes, is_active, is_staff }));
  }
}
