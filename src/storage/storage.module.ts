import path from 'node:path';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { FileStorage } from './file-storage.js';
import { LocalFileStorage } from './local-file-storage.js';
import { S3FileStorage } from './s3-file-storage.js';
import { StorageCleaner } from './storage-cleaner.js';

/** The FileStorage of STORAGE_DRIVER: files under DATA_DIR/files, or objects in the S3_BUCKET. */
export function createFileStorage(config: AppConfig): FileStorage {
  if (config.storageDriver === 's3') return new S3FileStorage(config.s3!);
  return new LocalFileStorage(path.join(config.dataDir, 'files'));
}

@Global()
@Module({
  providers: [{ provide: FileStorage, inject: [APP_CONFIG], useFactory: createFileStorage }, StorageCleaner],
  exports: [FileStorage, StorageCleaner],
})
export class StorageModule {}
