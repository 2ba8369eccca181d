import { Module } from '@nestjs/common';
import { AccountsRepository } from './accounts.repository.js';
import { CreatePersonHandler } from './commands/create-person.command.js';
import { UpdatePersonHandler } from './commands/update-person.command.js';

/** Persons and what every account shares; the /users routes live in organizations (UsersModule), above both. */
@Module({
  providers: [AccountsRepository, CreatePersonHandler, UpdatePersonHandler],
  exports: [AccountsRepository],
})
export class AccountsModule {}
