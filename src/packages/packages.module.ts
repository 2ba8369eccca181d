import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { ProjectRoleGuard } from '../projects/roles/project-role.guard.js';
import { PackagesController } from './packages.controller.js';
import { PackagesRepository } from './packages.repository.js';
import { GetLatestPackageHandler } from './queries/get-latest-package.query.js';
import { GetPackageFileHandler } from './queries/get-package-file.query.js';

@Module({
  imports: [ProjectsModule, JobsModule],
  controllers: [PackagesController],
  providers: [GetLatestPackageHandler, GetPackageFileHandler, PackagesRepository, ProjectRoleGuard],
  exports: [PackagesRepository],
})
export class PackagesModule {}
