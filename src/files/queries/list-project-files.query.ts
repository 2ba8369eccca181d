import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { projectFilesSql, toProjectFileResponse, type ProjectFileResponse } from '../dto/project-file.dto.js';

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
  constructor(private readonly db: DataSource) {}

  async execute({ projectId, page }: ListProjectFilesQuery): Promise<Page<ProjectFileResponse>> {
    const params: unknown[] = [projectId];
    const rows = await this.db.query(projectFilesSql('true', `ORDER BY f.name, f.id ${limitOffsetSql(page, params)}`), params);
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM project_files WHERE project_id = $1`, [projectId]);
    return new Page(rows.map(toProjectFileResponse), count, page);
  }
}
