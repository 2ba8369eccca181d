import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { PackagesModule } from '../packages/packages.module.js';
import { JobWorker } from './job-worker.service.js';
import { PackageRunner } from './package.runner.js';
import { ProcessProjectfileRunner } from './process-projectfile.runner.js';

/** The job worker (spec §13); started by app.factory.ts (WORKER=true) or worker-main.ts. */
@Module({
  imports: [JobsModule, PackagesModule],
  providers: [JobWorker, ProcessProjectfileRunner, PackageRunner],
  exports: [JobWorker],
})
export class WorkerModule {}
