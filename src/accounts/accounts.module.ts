import { Module } from '@nestjs/common';
import { CreatePersonHandler } from './commands/create-person.command.js';
import { DeleteAccountHandler } from './commands/delete-account.command.js';
import { UpdatePersonHandler } from './commands/update-person.command.js';
import { UpdateUserHandler } from './commands/update-user.command.js';
import { GetUserHandler } from './queries/get-user.query.js';
import { ListUsersHandler } from './queries/list-users.query.js';
import { UsersController } from './users.controller.js';

export const accountHandlers = [CreatePersonHandler, UpdatePersonHandler, UpdateUserHandler, DeleteAccountHandler, GetUserHandler, ListUsersHandler];

@Module({
  controllers: [UsersController],
  providers: [...accountHandlers],
})
export class AccountsModule {}
