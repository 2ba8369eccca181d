import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Page, type PageRequest } from '../../common/pagination.js';
import { CollaboratorsRepository } from '../collaborators.repository.js';
import { toCollaboratorResponse, type CollaboratorResponse } from '../dto/collaborator.dto.js';

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
  constructor(private readonly collaborators: CollaboratorsRepository) {}

  async execute({ projectId, page }: ListCollaboratorsQuery): Promise<Page<CollaboratorResponse>> {
    const { rows, total } = await this.collaborators.listPage(projectId, page);
    return new Page(rows.map(toCollaboratorResponse), total, page);
  }
}
