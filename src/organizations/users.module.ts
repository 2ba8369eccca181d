import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { DeleteAccountHandler } from './commands/delete-account.command.js';
import { UpdateUserHandler } from './commands/update-user.command.js';
import { OrganizationsRepository } from './organizations.repository.js';
import { GetUserHandler } from './queries/get-user.query.js';
import { ListUsersHandler } from './queries/list-users.query.js';
import { CurrentUserController, UsersController } from './users.controller.js';

/**
 * /auth/user/ and /users/…: they answer persons and organizations alike, so they live above both
 * modules. A module of its own, registered where the accounts routes were, so the routes (and the
 * OpenAPI document) keep their order.
 */
@Module({
  imports: [AccountsModule],
  controllers: [CurrentUserController, UsersController],
  providers: [OrganizationsRepository, GetUserHandler, ListUsersHandler, UpdateUserHandler, DeleteAccountHandler],
})
export class UsersModule {}
