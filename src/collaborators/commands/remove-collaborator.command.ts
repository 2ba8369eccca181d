import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { ProjectAccess } from '../../projects/roles/roles.js';
import { assertMayChange, lockCollaborator } from '../collaborator-rules.js';

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
  constructor(private readonly db: DataSource) {}

  execute({ access, username }: RemoveCollaboratorCommand): Promise<void> {
    return this.db.transaction(async (db) => {
      const current = await lockCollaborator(db, access.projectId, username);
      assertMayChange(access.role, current.role);
      await db.query(`DELETE FROM project_collaborators WHERE project_id = $1 AND collaborator_id = $2`, [access.projectId, current.id]);
    });
  }
}
