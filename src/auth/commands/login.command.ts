import { randomBytes } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountType } from '../../common/account-type.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { AuthenticationFailed, TooManyFailedLoginAttempts } from '../../common/errors.js';
import { hashKey } from '../auth-tokens.service.js';
import { AuthRepository } from '../auth.repository.js';
import { clientTypeOf, isSingleTokenClient } from '../client-type.js';
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
    private readonly dataSource: DataSource,
    private readonly authRepository: AuthRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.throttle = new LoginThrottle(config.loginMaxFailures, config.loginLockoutMinutes * 60);
  }

  async execute(command: LoginCommand): Promise<LoginResponse> {
    // A failure must be recorded, so the transaction commits and the error is thrown afterwards.
    const outcome = await this.dataSource.transaction((tx) => this.attempt(this.authRepository.withinTx(tx), command));
    if (!outcome.ok) throw outcome.error;
    return outcome.response;
  }

  private async attempt(auth: AuthRepository, { identifier, password, userAgent, clientIp }: LoginCommand): Promise<Outcome> {
    const account = await auth.loginAccount(identifier);
    const accountKey: string = account?.id ?? identifier.toLowerCase();
    await this.throttle.acquire(auth, accountKey, clientIp);
    const lockedFor = await this.throttle.lockedFor(auth, accountKey, clientIp);
    if (lockedFor > 0) return { ok: false, error: new TooManyFailedLoginAttempts(lockedFor) };

    const passwordOk = await verifyPassword(password, account?.password_hash ?? null);
    if (!account || !passwordOk || account.type !== AccountType.Person || !account.is_active) {
      await this.throttle.recordFailure(auth, accountKey, clientIp);
      return { ok: false, error: new AuthenticationFailed() };
    }
    await this.throttle.reset(auth, accountKey, clientIp);
    const { key, expiresAt } = await this.issueToken(auth, account.id, userAgent);
    await auth.recordLogin(account.id);
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

  /** A new token; for single-token clients the older live tokens of that client type expire. Only its hash is stored. */
  private async issueToken(auth: AuthRepository, accountId: string, userAgent: string): Promise<{ key: string; expiresAt: Date }> {
    const clientType = clientTypeOf(userAgent);
    if (isSingleTokenClient(clientType)) await auth.expireTokens(accountId, clientType);
    const key = randomBytes(96).toString('base64url'); // 128 characters
    const expiresAt = await auth.insertToken(accountId, hashKey(key), clientType, userAgent.slice(0, 512), this.config.authTokenExpirationHours * 3600);
    return { key, expiresAt };
  }
}
