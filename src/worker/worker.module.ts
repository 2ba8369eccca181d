import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { JobWorker } from './job-worker.service.js';
import { ProcessProjectfileRunner } from './process-projectfile.runner.js';

/** The job worker (spec §13); started by app.factory.ts (WORKER=true) or worker-main.ts. */
@Module({
  imports: [JobsModule],
  providers: [JobWorker, ProcessProjectfileRunner],
  exports: [JobWorker],
})
export class WorkerModule {}
