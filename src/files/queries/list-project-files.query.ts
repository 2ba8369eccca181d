import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Page, type PageRequest } from '../../common/pagination.js';
import { toProjectFileResponse, type ProjectFileResponse } from '../dto/project-file.dto.js';
import { FilesRepository } from '../files.repository.js';

/** GET /files/{projectId}/ (spec §8): every file with its versions, newest first, by name. */
export class ListProjectFilesQuery extends Query<Page<ProjectFileResponse>> {
  constructor(
    readonly projectId: string,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListProjectFilesQuery)
export class ListProjectFilesHandler implements IQueryHandler<ListProjectFilesQuery> {
  constructor(private readonly files: FilesRepository) {}

  async execute({ projectId, page }: ListProjectFilesQuery): Promise<Page<ProjectFileResponse>> {
    const { rows, total } = await this.files.listPage(projectId, page);
    return new Page(rows.map(toProjectFileResponse), total, page);
  }
}
