import path from 'node:path';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { FileStorage } from './file-storage.js';
import { LocalFileStorage } from './local-file-storage.js';
import { StorageCleaner } from './storage-cleaner.js';

@Global()
@Module({
  providers: [
    { provide: FileStorage, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new LocalFileStorage(path.join(config.dataDir, 'files')) },
    StorageCleaner,
  ],
  exports: [FileStorage, StorageCleaner],
})
export class StorageModule {}
