import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ObjectNotFound, ValidationFailed } from '../../common/errors.js';
import { isUuid } from '../../common/validation.js';
import { DeltasRepository } from '../deltas.repository.js';
import { toDeltaResponse, type DeltaResponse } from '../dto/delta.dto.js';
import { refuseTemplateProject } from '../delta-rules.js';

/**
 * GET /deltas/{projectid}/{deltafileid}/ (spec §11.2): the deltas first pushed with that delta file,
 * in file order. A delta file that brought no delta to the project (unknown, or only deltas stored
 * before) is 404: QField, which polls a file it has just pushed, takes an empty answer for an error too.
 */
export class GetDeltafileQuery extends Query<DeltaResponse[]> {
  constructor(
    readonly projectId: string,
    readonly deltafileId: string,
  ) {
    super();
  }
}

@QueryHandler(GetDeltafileQuery)
export class GetDeltafileHandler implements IQueryHandler<GetDeltafileQuery> {
  constructor(private readonly deltas: DeltasRepository) {}

  async execute({ projectId, deltafileId }: GetDeltafileQuery): Promise<DeltaResponse[]> {
    if (!isUuid(deltafileId)) throw ValidationFailed.field('deltafileId', 'Must be a UUID');
    await refuseTemplateProject(this.deltas, projectId);
    const rows = await this.deltas.ofDeltafile(projectId, deltafileId.toLowerCase());
    if (rows.length === 0) throw new ObjectNotFound('No such delta file in this project');
    return rows.map(toDeltaResponse);
  }
}
