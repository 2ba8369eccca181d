import type { EntityManager } from 'typeorm';

/**
 * An account's stored bytes (spec §8): the sum of file_storage_bytes over the projects it owns, as a
 * SQL expression on `a` (accounts). The person and organization objects and every quota check use it.
 */
export const STORAGE_USED_SQL = `(SELECT coalesce(sum(sp.file_storage_bytes), 0) FROM projects sp WHERE sp.owner_id = a.id)`;

export async function storageUsage(db: EntityManager, accountId: string, defaultQuotaBytes: number): Promise<{ usedBytes: number; quotaBytes: number }> {
  const [row] = await db.query(
    `SELECT coalesce(a.storage_quota_bytes, $2)::bigint AS quota, ${STORAGE_USED_SQL}::bigint AS used FROM accounts a WHERE a.id = $1`,
    [accountId, defaultQuotaBytes],
  );
  return { usedBytes: Number(row.used), quotaBytes: Number(row.quota) };
}
