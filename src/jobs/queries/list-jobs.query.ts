import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { PermissionDenied } from '../../common/errors.js';
import { Page, type PageRequest } from '../../common/pagination.js';
import { ProjectsRepository } from '../../projects/projects.repository.js';
import { projectAccess } from '../../projects/roles/project-role.guard.js';
import { may } from '../../projects/roles/roles.js';
import { toJobResponse, type JobResponse } from '../dto/job.dto.js';
import type { JobType } from '../job.entity.js';
import { JobsRepository } from '../jobs.repository.js';

/** GET /jobs/?project_id=…[&type=…] (spec §10.2): any role on the project; oldest first. */
export class ListJobsQuery extends Query<Page<JobResponse>> {
  constructor(
    readonly actor: Actor,
    readonly projectId: string,
    readonly type: JobType | null,
    readonly page: PageRequest,
  ) {
    super();
  }
}

@QueryHandler(ListJobsQuery)
export class ListJobsHandler implements IQueryHandler<ListJobsQuery> {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly jobs: JobsRepository,
  ) {}

  async execute({ actor, projectId, type, page }: ListJobsQuery): Promise<Page<JobResponse>> {
    const access = await projectAccess(this.projects, actor.id, projectId);
    if (!may(access.role, 'read')) throw new PermissionDenied();
    const { rows, total } = await this.jobs.list(access.projectId, type, page);
    return new Page(rows.map(toJobResponse), total, page);
  }
}
