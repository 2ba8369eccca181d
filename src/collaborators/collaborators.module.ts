import { Module } from '@nestjs/common';
import { ProjectRoleGuard } from '../projects/roles/project-role.guard.js';
import { CollaboratorsController } from './collaborators.controller.js';
import { AddCollaboratorHandler } from './commands/add-collaborator.command.js';
import { RemoveCollaboratorHandler } from './commands/remove-collaborator.command.js';
import { UpdateCollaboratorHandler } from './commands/update-collaborator.command.js';
import { GetCollaboratorHandler } from './queries/get-collaborator.query.js';
import { ListCollaboratorsHandler } from './queries/list-collaborators.query.js';

const commandHandlers = [AddCollaboratorHandler, UpdateCollaboratorHandler, RemoveCollaboratorHandler];
const queryHandlers = [ListCollaboratorsHandler, GetCollaboratorHandler];

@Module({
  controllers: [CollaboratorsController],
  providers: [...commandHandlers, ...queryHandlers, ProjectRoleGuard],
})
export class CollaboratorsModule {}
