import { CommandBus } from '@nestjs/cqrs';
import { OPERATOR } from '../common/actor.js';
import { generatePassword } from '../auth/password.js';
import type { AppConfig } from '../config/config.js';
import { AccountsRepository } from './accounts.repository.js';
import { CreatePersonCommand } from './commands/create-person.command.js';

/**
 * The first-start staff person (spec §4.1): ADMIN_USERNAME/ADMIN_PASSWORD when set and the account is
 * missing; otherwise, when no staff person exists at all, `admin` with a generated password that is
 * printed once. Runs under the migration lock, so concurrent first starts create one admin.
 */
export async function ensureAdmin(accounts: AccountsRepository, commands: CommandBus, config: AppConfig, announce: (lines: string[]) => void): Promise<void> {
  if (config.adminUsername && config.adminPassword) {
    if (await accounts.nameTaken(config.adminUsername)) return;
    await commands.execute(
      new CreatePersonCommand(OPERATOR, { username: config.adminUsername, email: config.adminEmail, password: config.adminPassword, isStaff: true }),
    );
    announce([`Created the staff account "${config.adminUsername}" from ADMIN_USERNAME/ADMIN_PASSWORD.`]);
    return;
  }
  if (await accounts.anyStaff()) return;
  const password = generatePassword();
  await commands.execute(new CreatePersonCommand(OPERATOR, { username: 'admin', email: config.adminEmail, password, isStaff: true }));
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = config.publicUrl ?? `http://${host}:${config.port}`;
  announce([
    'Created the staff account "admin" with this password, shown only this once:',
    '',
    `    ${password}`,
    '',
    'Log in with:',
    `    curl -X POST -d username=admin -d password=${password} ${base}/api/v1/auth/login/`,
    'Change it with PATCH /api/v1/users/admin/ or: npm run cli -- set-password admin',
  ]);
}
