import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { COLLABORATORS_ORDER, collaboratorsSql, toCollaboratorResponse, type CollaboratorResponse } from '../dto/collaborator.dto.js';

/** GET /collaborators/{projectId}/: one statement per page plus a count. */
export class ListCollaboratorsQuery extends Query<Page<CollaboratorResponse>> {
  constructor(
    readonly projectId: string,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListCollaboratorsQuery)
export class ListCollaboratorsHandler implements IQueryHandler<ListCollaboratorsQuery> {
  constructor(private readonly db: DataSource) {}

  async execute({ projectId, page }: ListCollaboratorsQuery): Promise<Page<CollaboratorResponse>> {
    const params: unknown[] = [projectId];
    const rows = await this.db.query(collaboratorsSql(`WHERE c.project_id = $1 ${COLLABORATORS_ORDER} ${limitOffsetSql(page, params)}`), params);
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM project_collaborators WHERE project_id = $1`, [projectId]);
    return new Page(rows.map(toCollaboratorResponse), count, page);
  }
}
