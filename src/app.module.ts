import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from './accounts/accounts.module.js';
import { AuthModule } from './auth/auth.module.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { dataSourceOptions } from './database/data-source.js';
import { entities } from './entities.js';
import { CollaboratorsModule } from './collaborators/collaborators.module.js';
import { FilesModule } from './files/files.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { DeltasModule } from './deltas/deltas.module.js';
import { PackagesModule } from './packages/packages.module.js';
import { OrganizationsModule } from './organizations/organizations.module.js';
import { UsersModule } from './organizations/users.module.js';
import { ProjectsModule } from './projects/projects.module.js';
import { StatusController } from './status/status.controller.js';
import { StatusRepository } from './status/status.repository.js';
import { StorageModule } from './storage/storage.module.js';
import { WorkerModule } from './worker/worker.module.js';

@Module({})
export class AppModule {
  /** `databaseUrl` is the resolved one: DATABASE_URL, or the embedded PostgreSQL's. */
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, entities)),
        StorageModule,
        AuthModule,
        AccountsModule,
        UsersModule,
        ProjectsModule,
        OrganizationsModule,
        CollaboratorsModule,
        JobsModule,
        PackagesModule,
        DeltasModule,
        // After ProjectsModule: GET /files/thumbnails/{id}/ must match before /files/{projectId}/{path}.
        FilesModule,
        WorkerModule,
      ],
      controllers: [StatusController],
      providers: [{ provide: APP_CONFIG, useValue: config }, StatusRepository],
      exports: [APP_CONFIG],
    };
  }

  /** A worker-only process (`npm run worker`): the database, the storage and the worker, no HTTP. */
  static forWorker(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [CqrsModule.forRoot(), TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, entities)), StorageModule, WorkerModule],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
