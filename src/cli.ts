import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { CreatePersonCommand } from './accounts/commands/create-person.command.js';
import { UpdatePersonCommand } from './accounts/commands/update-person.command.js';
import { AppModule } from './app.module.js';
import { OPERATOR } from './common/actor.js';
import { generatePassword } from './auth/password.js';
import { ApiError } from './common/errors.js';
import { loadConfig } from './config/config.js';
import { migrate } from './database/data-source.js';
import { runningEmbeddedPostgresUrl, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './database/embedded-postgres.js';

const HELP = `Fieldbase operator tool

Usage: npm run cli -- <command> [options]

Commands:
  create-user <username> --email <e-mail> [--password <pw>] [--first-name <n>] [--last-name <n>] [--staff]
                         Create a person. Without --password a password is generated and printed.
  make-staff <username> [--revoke]
                         Give (or with --revoke, take away) staff rights.
  set-password <username> [--password <pw>]
                         Set a person's password. Without --password one is generated and printed.
  migrate                Apply pending database migrations.
  db-url                 Print the database URL in use (for psql or the TypeORM CLI).

It uses the same environment as the server (DATABASE_URL, DATA_DIR, …). With the embedded PostgreSQL it
connects to the one a running server started, or starts it for the duration of the command.

Options:
  -h, --help             Show this help.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      email: { type: 'string' },
      password: { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
      staff: { type: 'boolean' },
      revoke: { type: 'boolean' },
    },
  });
  const [command, username] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const needsUsername = ['create-user', 'make-staff', 'set-password'].includes(command);
  if (!['create-user', 'make-staff', 'set-password', 'migrate', 'db-url'].includes(command)) {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
    return 2;
  }
  if (needsUsername && !username) {
    process.stderr.write(`${command} needs a username.\n`);
    return 2;
  }
  if (command === 'create-user' && !values.email) {
    process.stderr.write('create-user needs --email.\n');
    return 2;
  }

  const config = loadConfig();
  let embedded: EmbeddedPostgresHandle | null = null;
  let url = config.databaseUrl ?? runningEmbeddedPostgresUrl(config.dataDir);
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: 0, log: () => undefined });
    url = embedded.url;
  }
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: false });
  try {
    await migrate(context.get(DataSource));
    const commands = context.get(CommandBus);
    switch (command) {
      case 'db-url':
        console.log(url);
        break;
      case 'migrate':
        console.log('Migrations are up to date.');
        break;
      case 'create-user': {
        const password = values.password ?? generatePassword();
        await commands.execute(
          new CreatePersonCommand(OPERATOR, {
            username,
            email: values.email!,
            password,
            firstName: values['first-name'],
            lastName: values['last-name'],
            isStaff: values.staff ?? false,
          }),
        );
        console.log(`Created ${values.staff ? 'staff ' : ''}person "${username}".`);
        if (!values.password) console.log(`Password: ${password}`);
        break;
      }
      case 'make-staff':
        await commands.execute(new UpdatePersonCommand(OPERATOR, username, { is_staff: !values.revoke }));
        console.log(values.revoke ? `"${username}" is no longer staff.` : `"${username}" is now staff.`);
        break;
      case 'set-password': {
        const password = values.password ?? generatePassword();
        await commands.execute(new UpdatePersonCommand(OPERATOR, username, { password }));
        console.log(`Password of "${username}" set.`);
        if (!values.password) console.log(`Password: ${password}`);
        break;
      }
    }
    return 0;
  } finally {
    await context.close();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof ApiError) {
      const detail = Object.entries((error.detail ?? {}) as Record<string, string[]>).map(([field, messages]) => `  ${field}: ${[messages].flat().join(' ')}`);
      process.stderr.write(`${error.message}\n${detail.join('\n')}\n`);
    } else {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  },
);
