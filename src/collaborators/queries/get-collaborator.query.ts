import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { notACollaborator } from '../collaborator-rules.js';
import { collaboratorsSql, toCollaboratorResponse, type CollaboratorResponse } from '../dto/collaborator.dto.js';

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
  constructor(private readonly db: DataSource) {}

  execute({ projectId, username }: GetCollaboratorQuery): Promise<CollaboratorResponse> {
    return loadCollaborator(this.db.manager, projectId, username);
  }
}

/** One collaborator object by account name (case-insensitive), 404 when that account is not one; commands answer with it too. */
export async function loadCollaborator(db: EntityManager, projectId: string, username: string): Promise<CollaboratorResponse> {
  const [row] = await db.query(collaboratorsSql('WHERE c.project_id = $1 AND lower(a.username) = lower($2)'), [projectId, username]);
  if (!row) throw notACollaborator(username);
  return toCollaboratorResponse(row);
}
