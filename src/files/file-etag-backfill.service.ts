import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { FileStorage } from '../storage/file-storage.js';
import { FilesRepository } from './files.repository.js';
import { ETAG_PART_BYTES, S3Etag } from './s3-etag.js';

/**
 * Versions over 8 MiB stored before the S3-style ETag existed have none (migration
 * 1765000000000-file-etags.ts): after start, this reads each from storage once, streaming, and stores
 * it. Several instances may do it at once; they write the same value. A version whose bytes cannot be
 * read is left for the next start (its plain md5 is served meanwhile).
 */
@Injectable()
export class FileEtagBackfill implements OnApplicationShutdown {
  private readonly logger = new Logger('FileEtagBackfill');
  private running: Promise<number> | null = null;
  private stopping = false;

  constructor(
    private readonly files: FilesRepository,
    private readonly storage: FileStorage,
  ) {}

  /** Called once the schema is migrated (app.factory.ts). */
  start(): void {
    this.running = this.run().catch((error) => {
      this.logger.warn(`file ETag backfill stopped: ${error}`);
      return 0;
    });
  }

  /** Resolves with the number of versions it completed. */
  async run(): Promise<number> {
    // Rows written without an ETag by anything else (an older instance during a rolling deploy, a seed
    // script): up to 8 MiB it is their md5, no read needed.
    await this.files.setEtagToMd5UpTo(ETAG_PART_BYTES);
    let done = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    while (!this.stopping) {
      const versions = await this.files.versionsWithoutEtag(after, ETAG_PART_BYTES, 100);
      if (versions.length === 0) break;
      for (const version of versions) {
        if (this.stopping) break;
        after = version.id;
        try {
          const etag = new S3Etag();
          for await (const chunk of await this.storage.get(version.storage_key)) etag.update(chunk as Buffer);
          await this.files.setEtag(version.id, etag.digest());
          done++;
        } catch (error) {
          // Deleted meanwhile, or storage trouble: the next start tries again.
          this.logger.warn(`could not compute the ETag of ${version.storage_key}: ${error}`);
        }
      }
    }
    if (done) this.logger.log(`computed the S3-style ETag of ${done} file version(s) stored before it existed`);
    return done;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}
