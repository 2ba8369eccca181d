import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { notACollaborator } from '../collaborator-rules.js';
import { CollaboratorsRepository } from '../collaborators.repository.js';
import { toCollaboratorResponse, type CollaboratorResponse } from '../dto/collaborator.dto.js';

/** GET /collaborators/{projectId}/{username}/ (the guard has checked the id and the caller's role). */
export class GetCollaboratorQuery extends Query<CollaboratorResponse> {
  constructor(
    readonly projectId: string,
    readonly username: string,
  ) {
    super();
  }
}

@QueryHandler(GetCollaboratorQuery)
export class GetCollaboratorHandler implements IQueryHandler<GetCollaboratorQuery> {
  constructor(private readonly collaborators: CollaboratorsRepository) {}

  execute({ projectId, username }: GetCollaboratorQuery): Promise<CollaboratorResponse> {
    return loadCollaborator(this.collaborators, projectId, username);
  }
}

/** One collaborator object by account name (case-insensitive), 404 when that account is not one; commands answer with it too. */
export async function loadCollaborator(collaborators: CollaboratorsRepository, projectId: string, username: string): Promise<CollaboratorResponse> {
  const row = await collaborators.findByName(projectId, username);
  if (!row) throw notACollaborator(username);
  return toCollaboratorResponse(row);
}
