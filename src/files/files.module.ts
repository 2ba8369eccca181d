import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ProjectRoleGuard } from '../projects/roles/project-role.guard.js';
import { DeleteProjectFileHandler } from './commands/delete-project-file.command.js';
import { UploadProjectFileHandler } from './commands/upload-project-file.command.js';
import { FileEtagBackfill } from './file-etag-backfill.service.js';
import { FilesController } from './files.controller.js';
import { FilesRepository } from './files.repository.js';
import { FileUploadInterceptor } from './file-upload.interceptor.js';
import { GetProjectFileHandler } from './queries/get-project-file.query.js';
import { ListProjectFilesHandler } from './queries/list-project-files.query.js';

@Module({
  imports: [AccountsModule, ProjectsModule, JobsModule],
  controllers: [FilesController],
  providers: [
    UploadProjectFileHandler,
    DeleteProjectFileHandler,
    ListProjectFilesHandler,
    GetProjectFileHandler,
    FileUploadInterceptor,
    ProjectRoleGuard,
    FilesRepository,
    FileEtagBackfill,
  ],
  // The worker reads the files a job's folder holds.
  exports: [FilesRepository],
})
export class FilesModule {}
