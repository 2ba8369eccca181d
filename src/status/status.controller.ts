import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/actor.js';
import { FileStorage } from '../storage/file-storage.js';
import { StatusRepository } from './status.repository.js';

class StatusResponse {
  @ApiProperty({ enum: ['ok', 'error'] }) database: 'ok' | 'error';
  @ApiProperty({ enum: ['ok', 'error'] }) storage: 'ok' | 'error';
}

@ApiTags('status')
@Controller('status')
export class StatusController {
  constructor(
    private readonly database: StatusRepository,
    private readonly storage: FileStorage,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'getStatus',
    summary: 'Health of the database and the storage (no authentication)',
    description: '200 when both answer; 503 with the failing part marked `error` otherwise.',
  })
  @ApiResponse({ status: 200, type: StatusResponse, description: 'Both are reachable' })
  @ApiResponse({ status: 503, type: StatusResponse, description: 'The failing part is marked "error"' })
  async status(@Res({ passthrough: true }) res: Response): Promise<StatusResponse> {
    const [database, storage] = await Promise.all([
      this.database.ping().then(
        () => 'ok' as const,
        () => 'error' as const,
      ),
      this.storage.check().then(
        () => 'ok' as const,
        () => 'error' as const,
      ),
    ]);
    if (database === 'error' || storage === 'error') res.status(503);
    return { database, storage };
  }
}
