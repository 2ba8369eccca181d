import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { OrganizationsModule } from '../organizations/organizations.module.js';
import { CreateProjectHandler } from './commands/create-project.command.js';
import { DeleteProjectHandler } from './commands/delete-project.command.js';
import { ProjectTransfer } from './commands/transfer-project-owner.js';
import { UpdateProjectHandler } from './commands/update-project.command.js';
import { UploadProjectThumbnailHandler } from './commands/upload-project-thumbnail.command.js';
import { OwnerCountCompaction } from './owner-count-compaction.service.js';
import { ProjectsController, ProjectThumbnailsController } from './projects.controller.js';
import { ProjectsRepository } from './projects.repository.js';
import { GetProjectThumbnailHandler } from './queries/get-project-thumbnail.query.js';
import { GetProjectHandler } from './queries/get-project.query.js';
import { ListProjectsHandler } from './queries/list-projects.query.js';
import { ListPublicProjectsHandler } from './queries/list-public-projects.query.js';
import { ProjectRoleGuard } from './roles/project-role.guard.js';

const commandHandlers = [CreateProjectHandler, UpdateProjectHandler, DeleteProjectHandler, UploadProjectThumbnailHandler];
const queryHandlers = [ListProjectsHandler, ListPublicProjectsHandler, GetProjectHandler, GetProjectThumbnailHandler];

@Module({
  imports: [AccountsModule, OrganizationsModule],
  controllers: [ProjectsController, ProjectThumbnailsController],
  providers: [...commandHandlers, ...queryHandlers, ProjectTransfer, ProjectRoleGuard, ProjectsRepository, OwnerCountCompaction],
  // The role guard guards the collaborators' and files' routes too.
  exports: [ProjectsRepository, ProjectRoleGuard, OwnerCountCompaction],
})
export class ProjectsModule {}
