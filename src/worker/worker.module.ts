import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { FilesModule } from '../files/files.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { DeltasModule } from '../deltas/deltas.module.js';
import { PackagesModule } from '../packages/packages.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { DeltaApplyRunner } from './delta-apply.runner.js';
import { JobWorker } from './job-worker.service.js';
import { PackageRunner } from './package.runner.js';
import { ProcessProjectfileRunner } from './process-projectfile.runner.js';

/** The job worker (spec §13); started by app.factory.ts (WORKER=true) or worker-main.ts. */
@Module({
  imports: [AccountsModule, ProjectsModule, JobsModule, FilesModule, PackagesModule, DeltasModule],
  providers: [JobWorker, ProcessProjectfileRunner, PackageRunner, DeltaApplyRunner],
  exports: [JobWorker],
})
export class WorkerModule {}
