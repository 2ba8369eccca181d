import type { AuthRepository } from './auth.repository.js';

/**
 * Failed-login lock-out per (account, client IP), in PostgreSQL so every instance sees it (spec §3):
 * the first `maxFailures` failures within the lock's length answer authentication_failed, the last of
 * them starts a lock of that length; attempts during the lock neither count nor extend it; a success
 * resets the count. Callers run these in one transaction (`auth` bound to it), serialised per key by
 * `acquire`.
 */
export class LoginThrottle {
  constructor(
    private readonly maxFailures: number,
    private readonly lockoutSeconds: number,
  ) {}

  /** Serialises attempts on the same (account, IP) until the transaction ends. */
  acquire(auth: AuthRepository, accountKey: string, clientIp: string): Promise<void> {
    return auth.lockAttempts(accountKey, clientIp);
  }

  /** Seconds left on a running lock, or 0. */
  lockedFor(auth: AuthRepository, accountKey: string, clientIp: string): Promise<number> {
    return auth.lockedFor(accountKey, clientIp);
  }

  async recordFailure(auth: AuthRepository, accountKey: string, clientIp: string): Promise<void> {
    const failures = await auth.recordFailure(accountKey, clientIp, this.lockoutSeconds);
    if (failures >= this.maxFailures) {
      // The lock consumes the failures that caused it: after it ends, counting starts afresh.
      await auth.forgetFailures(accountKey, clientIp);
      await auth.lockOut(accountKey, clientIp, this.lockoutSeconds);
    }
  }

  async reset(auth: AuthRepository, accountKey: string, clientIp: string): Promise<void> {
    await auth.forgetFailures(accountKey, clientIp);
    await auth.unlock(accountKey, clientIp);
  }
}
