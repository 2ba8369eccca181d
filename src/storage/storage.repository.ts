import { Injectable } from '@nestjs/common';
import { execute, selectOne, SqlRepository } from '../database/sql.js';

/**
 * The removal queue (storage_deletions), and the one question the sweep asks of the tables above
 * storage: does any row still point at a storage key?
 */
@Injectable()
export class StorageRepository extends SqlRepository {
  /** Queues keys for removal; a key already queued stays queued once. */
  async queue(keys: string[]): Promise<void> {
    await execute(this.db, `INSERT INTO storage_deletions (storage_key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [keys]);
  }

  async dequeue(keys: string[]): Promise<void> {
    await execute(this.db, `DELETE FROM storage_deletions WHERE storage_key = ANY($1)`, [keys]);
  }

  /** The oldest queued keys (up to `limit`), counting this as one more attempt on each. */
  async takeQueued(limit: number): Promise<string[]> {
    const { rows } = await execute<{ storage_key: string }>(
      this.db,
      `UPDATE storage_deletions SET attempts = attempts + 1
        WHERE storage_key IN (SELECT storage_key FROM storage_deletions ORDER BY queued_at LIMIT $1) RETURNING storage_key`,
      [limit],
    );
    return rows.map((row) => row.storage_key);
  }

  /** Whether a file version, a project thumbnail or a package file points at the key. */
  async isReferenced(storageKey: string): Promise<boolean> {
    const row = await selectOne(
      this.db,
      `SELECT 1 FROM file_versions WHERE storage_key = $1 UNION ALL SELECT 1 FROM projects WHERE thumbnail_key = $1
         UNION ALL SELECT 1 FROM package_files WHERE storage_key = $1 LIMIT 1`,
      [storageKey],
    );
    return row !== undefined;
  }
}
