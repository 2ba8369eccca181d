import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { ObjectNotFound, PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { isUuid } from '../../common/validation.js';
import { ProjectsRepository } from '../../projects/projects.repository.js';
import { projectAccess } from '../../projects/roles/project-role.guard.js';
import { may } from '../../projects/roles/roles.js';
import { toJobDetailResponse, type JobDetailResponse } from '../dto/job.dto.js';
import { JobsRepository } from '../jobs.repository.js';

/** GET /jobs/{id}/ (spec §10.2): any role on its project; an unknown id is 404 (deliberate). */
export class GetJobQuery extends Query<JobDetailResponse> {
  constructor(
    readonly actor: Actor,
    readonly jobId: string,
  ) {
    super();
  }
}

@QueryHandler(GetJobQuery)
export class GetJobHandler implements IQueryHandler<GetJobQuery> {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly jobs: JobsRepository,
  ) {}

  async execute({ actor, jobId }: GetJobQuery): Promise<JobDetailResponse> {
    if (!isUuid(jobId)) throw ValidationFailed.field('jobId', 'Must be a UUID');
    const job = await this.jobs.get(jobId.toLowerCase());
    if (!job) throw new ObjectNotFound('No such job');
    const access = await projectAccess(this.projects, actor.id, job.project_id);
    if (!may(access.role, 'read')) throw new PermissionDenied();
    return toJobDetailResponse(job);
  }
}
