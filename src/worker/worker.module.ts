import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { JobWorker } from './job-worker.service.js';
import { ProcessProjectfileRunner } from './process-projectfile.runner.js';

/** The job worker (spec §13); started by app.factory.ts (WORKER=true) or worker-main.ts. */
@Module({
  imports: [ProjectsModule, JobsModule, FilesModule],
  providers: [JobWorker, ProcessProjectfileRunner],
  exports: [JobWorker],
})
export class WorkerModule {}
