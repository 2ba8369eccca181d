import type { EntityManager } from 'typeorm';

/**
 * Failed-login lock-out per (account, client IP), in PostgreSQL so every instance sees it (spec §3):
 * the first `maxFailures` failures within the lock's length answer authentication_failed, the last of
 * them starts a lock of that length; attempts during the lock neither count nor extend it; a success
 * resets the count. Callers run these in one transaction, serialised per key by `acquire`.
 */
export class LoginThrottle {
  constructor(
    private readonly maxFailures: number,
    private readonly lockoutSeconds: number,
  ) {}

  /** Serialises attempts on the same (account, IP) until the transaction ends. */
  async acquire(db: EntityManager, accountKey: string, clientIp: string): Promise<void> {
    await db.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`login:${accountKey}|${clientIp}`]);
  }

  /** Seconds left on a running lock, or 0. */
  async lockedFor(db: EntityManager, accountKey: string, clientIp: string): Promise<number> {
    const [row] = await db.query(
      `SELECT ceil(extract(epoch FROM locked_until - now()))::int AS seconds FROM login_lockouts
        WHERE account_key = $1 AND client_ip = $2 AND locked_until > now()`,
      [accountKey, clientIp],
    );
    return row?.seconds ?? 0;
  }

  async recordFailure(db: EntityManager, accountKey: string, clientIp: string): Promise<void> {
    const key = [accountKey, clientIp];
    await db.query(`DELETE FROM login_failures WHERE account_key = $1 AND client_ip = $2 AND failed_at <= now() - make_interval(secs => $3)`, [...key, this.lockoutSeconds]);
    await db.query(`INSERT INTO login_failures (account_key, client_ip, failed_at) VALUES ($1, $2, now())`, key);
    const [{ failures }] = await db.query(`SELECT count(*)::int AS failures FROM login_failures WHERE account_key = $1 AND client_ip = $2`, key);
    if (failures >= this.maxFailures) {
      // The lock consumes the failures that caused it: after it ends, counting starts afresh.
      await db.query(`DELETE FROM login_failures WHERE account_key = $1 AND client_ip = $2`, key);
      await db.query(
        `INSERT INTO login_lockouts (account_key, client_ip, locked_until) VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (account_key, client_ip) DO UPDATE SET locked_until = excluded.locked_until`,
        [...key, this.lockoutSeconds],
      );
    }
  }

  async reset(db: EntityManager, accountKey: string, clientIp: string): Promise<void> {
    await db.query(`DELETE FROM login_failures WHERE account_key = $1 AND client_ip = $2`, [accountKey, clientIp]);
    await db.query(`DELETE FROM login_lockouts WHERE account_key = $1 AND client_ip = $2`, [accountKey, clientIp]);
  }
}
