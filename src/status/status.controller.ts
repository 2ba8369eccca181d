import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/actor.js';
import { JobsRepository, type WorkerState } from '../jobs/jobs.repository.js';
import { FileStorage } from '../storage/file-storage.js';
import { StatusRepository } from './status.repository.js';

class StatusResponse {
  @ApiProperty({ enum: ['ok', 'error'] }) database: 'ok' | 'error';
  @ApiProperty({ enum: ['ok', 'error'] }) storage: 'ok' | 'error';
  @ApiProperty({
    enum: ['ok', 'missing_qgis', 'off'],
    description:
      '`ok` while some worker polled for jobs in the last minute and starts QGIS; `missing_qgis` when the workers cannot start QGIS; `off` when none runs. Never decides the 503',
  })
  worker: WorkerState;
}

@ApiTags('status')
@Controller('status')
export class StatusController {
  constructor(
    private readonly database: StatusRepository,
    private readonly storage: FileStorage,
    private readonly jobs: JobsRepository,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'getStatus',
    summary: 'Health of the database, the storage and the job worker (no authentication)',
    description:
      '200 when the database and the storage answer; 503 with the failing part marked `error` otherwise. `worker` says whether jobs can run (it never makes a 503).',
  })
  @ApiResponse({ status: 200, type: StatusResponse, description: 'Both are reachable' })
  @ApiResponse({ status: 503, type: StatusResponse, description: 'The failing part is marked "error"' })
  async status(@Res({ passthrough: true }) res: Response): Promise<StatusResponse> {
    const [database, storage, worker] = await Promise.all([
      this.database.ping().then(
        () => 'ok' as const,
        () => 'error' as const,
      ),
      this.storage.check().then(
        () => 'ok' as const,
        () => 'error' as const,
      ),
      this.jobs.workerState().catch((): WorkerState => 'off'),
    ]);
    if (database === 'error' || storage === 'error') res.status(503);
    return { database, storage, worker };
  }
}
