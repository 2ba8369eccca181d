import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { DeltasRepository } from './deltas.repository.js';

@Module({
  imports: [AccountsModule, ProjectsModule, JobsModule],
  providers: [DeltasRepository],
  exports: [DeltasRepository],
})
export class DeltasModule {}
