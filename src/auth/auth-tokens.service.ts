import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { TokenAuthenticationFailed } from '../common/errors.js';
import type { Actor } from '../common/actor.js';
import { AuthRepository } from './auth.repository.js';

const AUTHORIZATION = /^(token|bearer)\s+(\S+)\s*$/i;
/** last_used_at is a hint, not an audit log: written at most once a minute per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Resolving and expiring tokens (spec §3); login issues them. */
@Injectable()
export class AuthTokens {
  constructor(private readonly auth: AuthRepository) {}

  /** The person behind an `Authorization` header, or 401 token_authentication_failed. */
  async authenticate(header: string): Promise<Actor> {
    const match = AUTHORIZATION.exec(header);
    if (!match) throw new TokenAuthenticationFailed('Malformed Authorization header; expected "Token <key>"');
    const row = await this.auth.tokenOwner(hashKey(match[2]));
    if (!row) throw new TokenAuthenticationFailed('Invalid or expired token');
    if (!row.is_active) throw new TokenAuthenticationFailed('User inactive or deleted');
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
      await this.auth.touchToken(row.token_id);
    }
    return { id: row.id, username: row.username, isStaff: row.is_staff, tokenId: row.token_id };
  }

  async expireAll(accountId: string): Promise<void> {
    await this.auth.expireTokens(accountId);
  }
}
