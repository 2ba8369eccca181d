import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { ApplyDeltasHandler } from './commands/apply-deltas.command.js';
import { PushDeltafileHandler } from './commands/push-deltafile.command.js';
import { DeltasController } from './deltas.controller.js';
import { DeltasRepository } from './deltas.repository.js';
import { GetDeltafileHandler } from './queries/get-deltafile.query.js';
import { ListDeltasHandler } from './queries/list-deltas.query.js';

@Module({
  imports: [AccountsModule, ProjectsModule, JobsModule],
  controllers: [DeltasController],
  providers: [PushDeltafileHandler, ApplyDeltasHandler, ListDeltasHandler, GetDeltafileHandler, DeltasRepository],
  exports: [DeltasRepository],
})
export class DeltasModule {}
