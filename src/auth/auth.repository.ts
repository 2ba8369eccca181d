import { Injectable } from '@nestjs/common';
import { AccountType } from '../common/account-type.js';
import { preparedQuery } from '../database/prepared.js';
import { dataSourceOf, execute, selectOne, SqlRepository } from '../database/sql.js';
import { AuthToken } from './auth-token.entity.js';
import { LoginLockout } from './login-lockout.entity.js';

/** What login needs of an account. */
export interface LoginAccount {
  id: string;
  type: AccountType;
  username: string;
  email: string | null;
  first_name: string;
  last_name: string;
  is_active: boolean;
  password_hash: string | null;
}

/** A live token and the person behind it. */
export interface TokenOwner {
  token_id: string;
  last_used_at: Date | null;
  id: string;
  username: string;
  is_staff: boolean;
  is_active: boolean;
}

/**
 * Tokens (auth_tokens), the login throttle (login_failures, login_lockouts), and the credential side of
 * `accounts` (a login's lookup and last_login_at). Auth sits below accounts, so it names that table in
 * SQL rather than importing the Account entity.
 */
@Injectable()
export class AuthRepository extends SqlRepository {
  private get tokens() {
    return this.db.getRepository(AuthToken);
  }

  // --- accounts, as login sees them --------------------------------------------------------------

  /** The account a login names: by username, else a person by e-mail; a username match wins. */
  loginAccount(identifier: string): Promise<LoginAccount | undefined> {
    return selectOne(
      this.db,
      `SELECT id, type, username, email, first_name, last_name, is_active, password_hash FROM accounts
        WHERE lower(username) = lower($1) OR (type = ${AccountType.Person} AND lower(email) = lower($1))
        ORDER BY lower(username) = lower($1) DESC LIMIT 1`,
      [identifier],
    );
  }

  async recordLogin(accountId: string): Promise<void> {
    await execute(this.db, `UPDATE accounts SET last_login_at = now() WHERE id = $1`, [accountId]);
  }

  // --- tokens ------------------------------------------------------------------------------------

  /** Stores a token's hash; answers when it expires. */
  async insertToken(accountId: string, keyHash: string, clientType: string, userAgent: string, lifetimeSeconds: number): Promise<Date> {
    const { rows } = await execute<{ expires_at: Date }>(
      this.db,
      `INSERT INTO auth_tokens (account_id, key_hash, client_type, user_agent, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
      [accountId, keyHash, clientType, userAgent, lifetimeSeconds],
    );
    return rows[0].expires_at;
  }

  /** Expires the account's live tokens, of one client type when given. */
  async expireTokens(accountId: string, clientType?: string): Promise<void> {
    const ofType = clientType === undefined ? '' : ` AND client_type = $2`;
    await execute(
      this.db,
      `UPDATE auth_tokens SET expires_at = now() WHERE account_id = $1${ofType} AND expires_at > now()`,
      clientType === undefined ? [accountId] : [accountId, clientType],
    );
  }

  /**
   * The live token with this hash and its person. Every authenticated request runs it, so it is a
   * prepared statement on the pool (database/prepared.ts).
   */
  async tokenOwner(keyHash: string): Promise<TokenOwner | undefined> {
    const [row] = await preparedQuery<TokenOwner>(
      dataSourceOf(this.db),
      `SELECT t.id AS token_id, t.last_used_at, a.id, a.username, a.is_staff, a.is_active
         FROM auth_tokens t JOIN accounts a ON a.id = t.account_id
        WHERE t.key_hash = $1 AND t.expires_at > now()`,
      [keyHash],
    );
    return row;
  }

  async touchToken(tokenId: string): Promise<void> {
    await this.tokens.update({ id: tokenId }, { lastUsedAt: () => 'now()' });
  }

  // --- the login throttle ------------------------------------------------------------------------

  /** Serialises attempts on the same (account, IP) until the transaction ends. */
  async lockAttempts(accountKey: string, clientIp: string): Promise<void> {
    await selectOne(this.db, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`login:${accountKey}|${clientIp}`]);
  }

  /** Seconds left on a running lock, or 0. */
  async lockedFor(accountKey: string, clientIp: string): Promise<number> {
    const row = await selectOne<{ seconds: number }>(
      this.db,
      `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS seconds FROM login_lockouts
        WHERE account_key = $1 AND client_ip = $2 AND locked_until > now()`,
      [accountKey, clientIp],
    );
    return row?.seconds ?? 0;
  }

  /** Records a failure, forgetting those older than `windowSeconds`; answers how many are on record. */
  async recordFailure(accountKey: string, clientIp: string, windowSeconds: number): Promise<number> {
    const key = [accountKey, clientIp];
    await execute(this.db, `DELETE FROM login_failures WHERE account_key = $1 AND client_ip = $2 AND failed_at <= now() - make_interval(secs => $3)`, [
      ...key,
      windowSeconds,
    ]);
    await execute(this.db, `INSERT INTO login_failures (account_key, client_ip, failed_at) VALUES ($1, $2, now())`, key);
    return (await selectOne<{ failures: number }>(
      this.db,
      `SELECT count(*)::int AS failures FROM login_failures WHERE account_key = $1 AND client_ip = $2`,
      key,
    ))!.failures;
  }

  async forgetFailures(accountKey: string, clientIp: string): Promise<void> {
    await execute(this.db, `DELETE FROM login_failures WHERE account_key = $1 AND client_ip = $2`, [accountKey, clientIp]);
  }

  async lockOut(accountKey: string, clientIp: string, seconds: number): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO login_lockouts (account_key, client_ip, locked_until) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (account_key, client_ip) DO UPDATE SET locked_until = excluded.locked_until`,
      [accountKey, clientIp, seconds],
    );
  }

  async unlock(accountKey: string, clientIp: string): Promise<void> {
    await this.db.getRepository(LoginLockout).delete({ accountKey, clientIp });
  }
}
