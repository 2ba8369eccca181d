import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { preparedQuery } from '../database/prepared.js';
import { TokenAuthenticationFailed } from '../common/errors.js';
import type { Actor } from './actor.js';
import { isSingleTokenClient, type ClientType } from './client-type.js';

const AUTHORIZATION = /^(token|bearer)\s+(\S+)\s*$/i;
/** last_used_at is a hint, not an audit log: written at most once a minute per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Issuing, resolving and expiring tokens (spec §3). */
@Injectable()
export class AuthTokens {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new token for the account; for single-token clients the older live tokens of that client type expire. */
  async issue(db: EntityManager, accountId: string, clientType: ClientType, userAgent: string): Promise<{ key: string; expiresAt: Date }> {
    if (isSingleTokenClient(clientType)) {
      await db.query(`UPDATE auth_tokens SET expires_at = now() WHERE account_id = $1 AND client_type = $2 AND expires_at > now()`, [accountId, clientType]);
    }
    const key = randomBytes(96).toString('base64url'); // 128 characters
    const [{ expires_at }] = await db.query(
      `INSERT INTO auth_tokens (account_id, key_hash, client_type, user_agent, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
      [accountId, hashKey(key), clientType, userAgent.slice(0, 512), this.config.authTokenExpirationHours * 3600],
    );
    return { key, expiresAt: expires_at };
  }

  /** The person behind an `Authorization` header, or 401 token_authentication_failed. */
  async authenticate(header: string): Promise<Actor> {
    const match = AUTHORIZATION.exec(header);
    if (!match) throw new TokenAuthenticationFailed('Malformed Authorization header; expected "Token <key>"');
    const [row] = await preparedQuery<{ token_id: string; last_used_at: Date | null; id: string; username: string; is_staff: boolean; is_active: boolean }>(
      this.db,
      `SELECT t.id AS token_id, t.last_used_at, a.id, a.username, a.is_staff, a.is_active
         FROM auth_tokens t JOIN accounts a ON a.id = t.account_id
        WHERE t.key_hash = $1 AND t.expires_at > now()`,
      [hashKey(match[2])],
    );
    if (!row) throw new TokenAuthenticationFailed('Invalid or expired token');
    if (!row.is_active) throw new TokenAuthenticationFailed('User inactive or deleted');
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db.query(`UPDATE auth_tokens SET last_used_at = now() WHERE id = $1`, [row.token_id]);
    }
    return { id: row.id, username: row.username, isStaff: row.is_staff, tokenId: row.token_id };
  }

  async expireAll(db: EntityManager, accountId: string): Promise<void> {
    await db.query(`UPDATE auth_tokens SET expires_at = now() WHERE account_id = $1 AND expires_at > now()`, [accountId]);
  }
}
