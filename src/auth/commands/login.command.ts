import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { AccountType } from '../../accounts/account.entity.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { AuthenticationFailed, TooManyFailedLoginAttempts } from '../../common/errors.js';
import { AuthTokens } from '../auth-tokens.service.js';
import { clientTypeOf } from '../client-type.js';
import type { LoginResponse } from '../dto/auth.dto.js';
import { LoginThrottle } from '../login-throttle.js';
import { verifyPassword } from '../password.js';

/** POST /auth/login/ = /auth/token/ (spec §3). */
export class LoginCommand extends Command<LoginResponse> {
  constructor(
    readonly identifier: string,
    readonly password: string,
    readonly userAgent: string,
    readonly clientIp: string,
  ) {
    super();
  }
}

type Outcome = { ok: true; response: LoginResponse } | { ok: false; error: Error };

@CommandHandler(LoginCommand)
export class LoginHandler implements ICommandHandler<LoginCommand> {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly db: DataSource,
    private readonly tokens: AuthTokens,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.throttle = new LoginThrottle(config.loginMaxFailures, config.loginLockoutMinutes * 60);
  }

  async execute(command: LoginCommand): Promise<LoginResponse> {
    // A failure must be recorded, so the transaction commits and the error is thrown afterwards.
    const outcome = await this.db.transaction((manager) => this.attempt(manager, command));
    if (!outcome.ok) throw outcome.error;
    return outcome.response;
  }

  private async attempt(db: EntityManager, { identifier, password, userAgent, clientIp }: LoginCommand): Promise<Outcome> {
    const [account] = await db.query(
      `SELECT id, type, username, email, first_name, last_name, is_active, password_hash FROM accounts
        WHERE lower(username) = lower($1) OR (type = ${AccountType.Person} AND lower(email) = lower($1))
        ORDER BY lower(username) = lower($1) DESC LIMIT 1`,
      [identifier],
    );
    const accountKey: string = account?.id ?? identifier.toLowerCase();
    await this.throttle.acquire(db, accountKey, clientIp);
    const lockedFor = await this.throttle.lockedFor(db, accountKey, clientIp);
    if (lockedFor > 0) return { ok: false, error: new TooManyFailedLoginAttempts(lockedFor) };

    const passwordOk = await verifyPassword(password, account?.password_hash ?? null);
    if (!passwordOk || account.type !== AccountType.Person || !account.is_active) {
      await this.throttle.recordFailure(db, accountKey, clientIp);
      return { ok: false, error: new AuthenticationFailed() };
    }
    await this.throttle.reset(db, accountKey, clientIp);
    const { key, expiresAt } = await this.tokens.issue(db, account.id, clientTypeOf(userAgent), userAgent);
    await db.query(`UPDATE accounts SET last_login_at = now() WHERE id = $1`, [account.id]);
    return {
      ok: true,
      response: {
        token: key,
        expires_at: new Date(expiresAt).toISOString(),
        username: account.username,
        type: '1',
        email: account.email,
        avatar_url: null,
        first_name: account.first_name,
        last_name: account.last_name,
        full_name: `${account.first_name} ${account.last_name}`.trim(),
      },
    };
  }
}
