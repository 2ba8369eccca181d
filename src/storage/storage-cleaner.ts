import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Periodic } from '../common/periodic.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { FileStorage } from './file-storage.js';
import { StorageRepository } from './storage.repository.js';

const SWEEP_EVERY_MS = 15 * 60 * 1000;

/**
 * Removing stored bytes safely. Rows go first: a command that drops rows pointing at stored bytes
 * queues their keys in `storage_deletions` in the same transaction, and calls `flush` after the
 * commit; what fails there stays queued and the sweep retries it. The sweep (at start, then every 15
 * minutes) also removes bytes no row points to, such as those of an upload cut off by a crash.
 */
@Injectable()
export class StorageCleaner implements OnApplicationShutdown {
  private readonly logger = new Logger('StorageCleaner');
  private readonly periodic = new Periodic('storage sweep', SWEEP_EVERY_MS, () => this.sweep(), this.logger);

  constructor(
    private readonly deletions: StorageRepository,
    private readonly storage: FileStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Inside the transaction (`tx`) that drops the rows. */
  async queue(tx: EntityManager, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.deletions.withinTx(tx).queue(keys);
  }

  /** After the commit: removes the bytes, then their queue entries. Never throws. */
  async flush(keys: string[]): Promise<void> {
    const done: string[] = [];
    for (const key of keys) {
      try {
        await this.storage.delete(key);
        done.push(key);
      } catch (error) {
        this.logger.warn(`could not remove stored ${key} (will retry): ${error}`);
      }
    }
    await this.deletions.dequeue(done).catch(() => undefined);
  }

  /** Called once the schema is migrated (app.factory.ts). */
  start(): void {
    this.periodic.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  async sweep(now = Date.now()): Promise<{ retried: number; orphans: number }> {
    const queued = await this.deletions.takeQueued(1000);
    await this.flush(queued);

    // Stored bytes younger than STORAGE_ORPHAN_GRACE_SECONDS are never taken for orphans: their upload
    // (on this instance or another) may still be committing.
    const graceMs = this.config.storageOrphanGraceSeconds * 1000;
    let orphans = 0;
    for (const prefix of ['projects/', 'thumbnails/', 'packages/']) {
      for await (const object of this.storage.list(prefix)) {
        if (now - object.modifiedAt.getTime() < graceMs) continue;
        if (await this.deletions.isReferenced(object.key)) continue;
        await this.storage.delete(object.key);
        orphans++;
      }
    }
    if (orphans) this.logger.log(`removed ${orphans} stored object(s) that no row points to`);
    return { retried: queued.length, orphans };
  }
}
