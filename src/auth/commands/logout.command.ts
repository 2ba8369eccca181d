import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { AuthTokens } from '../auth-tokens.service.js';

/** POST|GET /auth/logout/: expires every live token of the caller; anonymous callers get the same answer. */
export class LogoutCommand extends Command<{ detail: string }> {
  constructor(readonly actor: Actor | null) {
    super();
  }
}

@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand> {
  constructor(private readonly tokens: AuthTokens) {}

  async execute({ actor }: LogoutCommand): Promise<{ detail: string }> {
    if (actor) await this.tokens.expireAll(actor.id);
    return { detail: 'Successfully logged out.' };
  }
}
