import path from 'node:path';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { FileStorage } from './file-storage.js';
import { LocalFileStorage } from './local-file-storage.js';
import { StorageCleaner } from './storage-cleaner.js';
import { StorageRepository } from './storage.repository.js';

/**
 * The FileStorage of STORAGE_DRIVER: files under DATA_DIR/files, or objects in the S3_BUCKET. The AWS
 * SDK is loaded only when it is used: it adds a noticeable part to every start otherwise.
 */
export async function createFileStorage(config: AppConfig): Promise<FileStorage> {
  if (config.storageDriver === 's3') {
    const { S3FileStorage } = await import('./s3-file-storage.js');
    return new S3FileStorage(config.s3!);
  }
  return new LocalFileStorage(path.join(config.dataDir, 'files'));
}

@Global()
@Module({
  providers: [{ provide: FileStorage, inject: [APP_CONFIG], useFactory: createFileStorage }, StorageRepository, StorageCleaner],
  exports: [FileStorage, StorageCleaner],
})
export class StorageModule {}
