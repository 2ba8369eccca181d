import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { ProjectAccess } from '../../projects/roles/roles.js';
import { assertMayChange, lockCollaborator } from '../collaborator-rules.js';
import { CollaboratorsRepository } from '../collaborators.repository.js';

/** DELETE /collaborators/{projectId}/{username}/ (spec §6.3): nobody removes a collaborator whose role is above their own (403). */
export class RemoveCollaboratorCommand extends Command<void> {
  constructor(
    readonly access: ProjectAccess,
    readonly username: string,
  ) {
    super();
  }
}

@CommandHandler(RemoveCollaboratorCommand)
export class RemoveCollaboratorHandler implements ICommandHandler<RemoveCollaboratorCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly collaborators: CollaboratorsRepository,
  ) {}

  execute({ access, username }: RemoveCollaboratorCommand): Promise<void> {
    return this.dataSource.transaction(async (tx) => {
      const collaborators = this.collaborators.withinTx(tx);
      const current = await lockCollaborator(collaborators, access.projectId, username);
      assertMayChange(access.role, current.role);
      await collaborators.delete(access.projectId, current.id);
    });
  }
}
