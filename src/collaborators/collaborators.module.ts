import { Module } from '@nestjs/common';
import { ProjectsModule } from '../projects/projects.module.js';
import { ProjectRoleGuard } from '../projects/roles/project-role.guard.js';
import { CollaboratorsController } from './collaborators.controller.js';
import { CollaboratorsRepository } from './collaborators.repository.js';
import { AddCollaboratorHandler } from './commands/add-collaborator.command.js';
import { RemoveCollaboratorHandler } from './commands/remove-collaborator.command.js';
import { UpdateCollaboratorHandler } from './commands/update-collaborator.command.js';
import { GetCollaboratorHandler } from './queries/get-collaborator.query.js';
import { ListCollaboratorsHandler } from './queries/list-collaborators.query.js';

const commandHandlers = [AddCollaboratorHandler, UpdateCollaboratorHandler, RemoveCollaboratorHandler];
const queryHandlers = [ListCollaboratorsHandler, GetCollaboratorHandler];

@Module({
  imports: [ProjectsModule],
  controllers: [CollaboratorsController],
  providers: [...commandHandlers, ...queryHandlers, ProjectRoleGuard, CollaboratorsRepository],
})
export class CollaboratorsModule {}
