import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../common/actor.js';
import { ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import type { ProjectAccess } from '../../projects/roles/roles.js';
import { assertMayGrant, eligibleCollaborator } from '../collaborator-rules.js';
import { CollaboratorsRepository } from '../collaborators.repository.js';
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
  constructor(
    private readonly dataSource: DataSource,
    private readonly collaborators: CollaboratorsRepository,
  ) {}

  execute({ actor, access, body }: AddCollaboratorCommand): Promise<CollaboratorResponse> {
    const role = body.role ?? 'reader';
    assertMayGrant(access.role, role);
    return this.dataSource.transaction(async (tx) => {
      const collaborators = this.collaborators.withinTx(tx);
      const account = await eligibleCollaborator(collaborators, access.projectId, body.collaborator);
      // The primary key decides, so two concurrent adds of the same account cannot both succeed.
      await onUniqueViolation(collaborators.insert(access.projectId, account.id, role, actor.id), 'project_collaborators_pkey', () =>
        ValidationFailed.field('collaborator', `${account.username} is already a collaborator of this project`),
      );
      return loadCollaborator(collaborators, access.projectId, account.username);
    });
  }
}
