import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Page, type PageRequest } from '../../common/pagination.js';
import { DeltasRepository } from '../deltas.repository.js';
import { toDeltaResponse, type DeltaResponse } from '../dto/delta.dto.js';
import { refuseTemplateProject } from '../delta-rules.js';

/** GET /deltas/{projectid}/ (spec §11.2): the project's deltas by created_at, oldest first unless `newestFirst`. */
export class ListDeltasQuery extends Query<Page<DeltaResponse>> {
  constructor(
    readonly projectId: string,
    readonly newestFirst: boolean,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListDeltasQuery)
export class ListDeltasHandler implements IQueryHandler<ListDeltasQuery> {
  constructor(private readonly deltas: DeltasRepository) {}

  async execute({ projectId, newestFirst, page }: ListDeltasQuery): Promise<Page<DeltaResponse>> {
    await refuseTemplateProject(this.deltas, projectId);
    const { rows, total } = await this.deltas.list(projectId, newestFirst, page);
    return new Page(rows.map(toDeltaResponse), total, page);
  }
}
