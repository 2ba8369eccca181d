import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../common/actor.js';
import { ValidationFailed } from '../../common/errors.js';
import type { ProjectAccess } from '../../projects/roles/roles.js';
import { assertMayChange, assertMayGrant, lockCollaborator } from '../collaborator-rules.js';
import { CollaboratorsRepository } from '../collaborators.repository.js';
import type { UpdateCollaboratorBody } from '../dto/collaborator-requests.dto.js';
import type { CollaboratorResponse } from '../dto/collaborator.dto.js';
import { loadCollaborator } from '../queries/get-collaborator.query.js';

/**
 * PATCH and PUT /collaborators/{projectId}/{username}/ (spec §6.3): a new role. Nobody changes a
 * collaborator whose role is above their own, or grants such a role (403). A role equal to the current
 * one changes nothing, so `updated_by` and `updated_at` stay.
 */
export class UpdateCollaboratorCommand extends Command<CollaboratorResponse> {
  constructor(
    readonly actor: Actor,
    readonly access: ProjectAccess,
    readonly username: string,
    readonly body: UpdateCollaboratorBody,
    /** PUT: `role` is required. */
    readonly replace: boolean,
  ) {
    super();
  }
}

@CommandHandler(UpdateCollaboratorCommand)
export class UpdateCollaboratorHandler implements ICommandHandler<UpdateCollaboratorCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly collaborators: CollaboratorsRepository,
  ) {}

  execute({ actor, access, username, body, replace }: UpdateCollaboratorCommand): Promise<CollaboratorResponse> {
    if (replace && body.role === undefined) throw ValidationFailed.field('role', 'This field is required');
    return this.dataSource.transaction(async (tx) => {
      const collaborators = this.collaborators.withinTx(tx);
      const current = await lockCollaborator(collaborators, access.projectId, username);
      assertMayChange(access.role, current.role);
      if (body.role !== undefined && body.role !== current.role) {
        assertMayGrant(access.role, body.role);
        await collaborators.updateRole(access.projectId, current.id, body.role, actor.id);
      }
      return loadCollaborator(collaborators, access.projectId, current.username);
    });
  }
}
