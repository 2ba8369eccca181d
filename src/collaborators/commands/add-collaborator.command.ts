import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { ValidationFailed } from '../../common/errors.js';
import { isUniqueViolation } from '../../database/sql.js';
import type { ProjectAccess } from '../../projects/roles/roles.js';
import { assertMayGrant, eligibleCollaborator } from '../collaborator-rules.js';
import type { AddCollaboratorBody } from '../dto/collaborator-requests.dto.js';
import type { CollaboratorResponse } from '../dto/collaborator.dto.js';
import { loadCollaborator } from '../queries/get-collaborator.query.js';

/** POST /collaborators/{projectId}/ (spec §6.3): 403 for a role above the caller's, 400 for an ineligible or existing collaborator. */
export class AddCollaboratorCommand extends Command<CollaboratorResponse> {
  constructor(
    readonly actor: Actor,
    readonly access: ProjectAccess,
    readonly body: AddCollaboratorBody,
  ) {
    super();
  }
}

@CommandHandler(AddCollaboratorCommand)
export class AddCollaboratorHandler implements ICommandHandler<AddCollaboratorCommand> {
  constructor(private readonly db: DataSource) {}

  execute({ actor, access, body }: AddCollaboratorCommand): Promise<CollaboratorResponse> {
    const role = body.role ?? 'reader';
    assertMayGrant(access.role, role);
    return this.db.transaction(async (db) => {
      const account = await eligibleCollaborator(db, access.projectId, body.collaborator);
      try {
        await db.query(
          `INSERT INTO project_collaborators (project_id, collaborator_id, role, created_by_id, updated_by_id) VALUES ($1, $2, $3, $4, $4)`,
          [access.projectId, account.id, role, actor.id],
        );
      } catch (error) {
        // The primary key decides, so two concurrent adds of the same account cannot both succeed.
        if (isUniqueViolation(error, 'project_collaborators_pkey')) throw ValidationFailed.field('collaborator', `${account.username} is already a collaborator of this project`);
        throw error;
      }
      return loadCollaborator(db, access.projectId, account.username);
    });
  }
}
