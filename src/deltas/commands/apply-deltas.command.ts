import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import { NoDeltasToApply, NoQgisProject, ObjectNotFound, OverQuota, PermissionDenied } from '../../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ApplyDeltasCommand } from '../../jobs/commands/apply-deltas.command.js';
import { toJobResponse, type CreatedJob } from '../../jobs/dto/job.dto.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { ProjectsRepository } from '../../projects/projects.repository.js';
import { projectAccess } from '../../projects/roles/project-role.guard.js';
import { may } from '../../projects/roles/roles.js';
import { queueApplyJobs, type ApplyQueueOutcome } from '../apply-queue.js';
import { DeltasRepository } from '../deltas.repository.js';

/**
 * `POST /jobs/` with `type=delta_apply` and `POST /deltas/apply/{projectid}/` (spec §10.2, §11.2): a
 * reporter or more; a project with a QGIS file (400 no_qgis_project) whose owner has free storage
 * (402). The pending deltas no apply job holds go to new jobs (the first of them is answered, created);
 * with none, an active apply job of the project is answered (not created); else 400 no_deltas_to_apply.
 * The command is declared by the jobs module (see ApplyDeltasCommand).
 */
@CommandHandler(ApplyDeltasCommand)
export class ApplyDeltasHandler implements ICommandHandler<ApplyDeltasCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly projects: ProjectsRepository,
    private readonly jobs: JobsRepository,
    private readonly deltas: DeltasRepository,
    private readonly accounts: AccountsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, projectId }: ApplyDeltasCommand): Promise<CreatedJob> {
    const access = await projectAccess(this.projects, actor.id, projectId);
    if (!may(access.role, 'triggerJobs')) throw new PermissionDenied();

    const outcome: ApplyQueueOutcome = await this.dataSource.transaction(async (tx) => {
      const project = await this.jobs.withinTx(tx).lockProject(access.projectId);
      if (!project) throw new ObjectNotFound('No such project');
      if (project.the_qgis_file_name === null) throw new NoQgisProject();
      const { usedBytes, quotaBytes } = await this.accounts.withinTx(tx).storageUsage(project.owner_id, this.config.defaultStorageQuotaBytes);
      if (usedBytes >= quotaBytes) throw new OverQuota(project.owner, usedBytes, quotaBytes);
      const deps = { jobs: this.jobs, deltas: this.deltas, accounts: this.accounts, defaultQuotaBytes: this.config.defaultStorageQuotaBytes };
      const queued = await queueApplyJobs(tx, deps, project, actor.id);
      // Checked above under the same lock; kept so the two quota rules can never part silently.
      if (queued.kind === 'over_quota') throw new OverQuota(project.owner, queued.usedBytes, queued.quotaBytes);
      return queued;
    });
    switch (outcome.kind) {
      case 'created':
        return { job: toJobResponse(outcome.jobs[0]), created: true };
      case 'active':
        return { job: toJobResponse(outcome.job), created: false };
      default:
        throw new NoDeltasToApply();
    }
  }
}
