import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import type { Actor } from '../../common/actor.js';
import { NoQgisProject, ObjectNotFound, OverQuota, PermissionDenied } from '../../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ProjectsRepository } from '../../projects/projects.repository.js';
import { projectAccess } from '../../projects/roles/project-role.guard.js';
import { may } from '../../projects/roles/roles.js';
import { toJobResponse, type CreatedJob } from '../dto/job.dto.js';
import type { CreateJobBody } from '../dto/job-requests.dto.js';
import { JobsRepository } from '../jobs.repository.js';
import { ApplyDeltasCommand } from './apply-deltas.command.js';

/**
 * POST /jobs/ (spec §10.2). Roles per §6.4; `package` needs a regular project (403) with a QGIS file
 * (400 no_qgis_project) unless `force`, and answers an active package job of the project (200)
 * instead of a new one unless `force`. `package` needs free storage (402). `delta_apply` is the
 * deltas module's ApplyDeltasCommand.
 */
export class CreateJobCommand extends Command<CreatedJob> {
  constructor(
    readonly actor: Actor,
    readonly body: CreateJobBody,
  ) {
    super();
  }
}

@CommandHandler(CreateJobCommand)
export class CreateJobHandler implements ICommandHandler<CreateJobCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly commands: CommandBus,
    private readonly jobs: JobsRepository,
    private readonly projects: ProjectsRepository,
    private readonly accounts: AccountsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, body }: CreateJobCommand): Promise<CreatedJob> {
    const { type } = body;
    if (type === 'delta_apply') return this.commands.execute(new ApplyDeltasCommand(actor, body.project_id));
    const force = body.force ?? false;
    const access = await projectAccess(this.projects, actor.id, body.project_id);
    if (!may(access.role, type === 'package' ? 'triggerPackage' : 'triggerJobs')) throw new PermissionDenied();

    return this.dataSource.transaction(async (tx) => {
      const jobs = this.jobs.withinTx(tx);
      const project = await jobs.lockProject(access.projectId);
      if (!project) throw new ObjectNotFound('No such project');
      if (type === 'package' && project.project_type !== 'regular')
        throw new PermissionDenied(`Only regular projects can be packaged, this one is a ${project.project_type} project`);
      if (type === 'package' && !force && project.the_qgis_file_name === null) throw new NoQgisProject();
      if (type === 'package') {
        const { usedBytes, quotaBytes } = await this.accounts.withinTx(tx).storageUsage(project.owner_id, this.config.defaultStorageQuotaBytes);
        if (usedBytes >= quotaBytes) throw new OverQuota(project.owner, usedBytes, quotaBytes);
      }
      if (type === 'package' && !force) {
        const active = await jobs.activeJob(project.id, 'package');
        if (active) return { job: toJobResponse(active), created: false };
      }
      const job = await jobs.create({ projectId: project.id, type, createdById: actor.id });
      return { job: toJobResponse(job), created: true };
    });
  }
}
