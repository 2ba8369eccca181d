import type { Db } from '../database/sql.js';
import { AccountsRepository } from './accounts.repository.js';

export { STORAGE_USED_SQL } from './accounts.sql.js';

/**
 * An account's stored bytes and quota (spec §8), for callers inside a transaction. Prefer
 * `accounts.withinTx(tx).storageUsage(...)` with an injected AccountsRepository; this stays until the
 * last callers (files, projects) have moved to it.
 */
export function storageUsage(db: Db, accountId: string, defaultQuotaBytes: number): Promise<{ usedBytes: number; quotaBytes: number }> {
  return new AccountsRepository(db).storageUsage(accountId, defaultQuotaBytes);
}
