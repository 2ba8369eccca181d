import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { CreateJobHandler } from './commands/create-job.command.js';
import { JobsController } from './jobs.controller.js';
import { JobsRepository } from './jobs.repository.js';
import { GetJobHandler } from './queries/get-job.query.js';
import { ListJobsHandler } from './queries/list-jobs.query.js';

@Module({
  imports: [AccountsModule, ProjectsModule],
  controllers: [JobsController],
  providers: [CreateJobHandler, ListJobsHandler, GetJobHandler, JobsRepository],
  exports: [JobsRepository],
})
export class JobsModule {}
