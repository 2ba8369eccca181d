import { Controller, Get, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors, ApiOk, ApiStoredFile } from '../common/openapi.js';
import { FilePath } from '../files/file-upload.interceptor.js';
import { CurrentProjectAccess, ProjectPermission } from '../projects/roles/project-role.guard.js';
import type { ProjectAccess } from '../projects/roles/roles.js';
import { sendStoredFile } from '../storage/send-stored-file.js';
import { LatestPackageResponse } from './dto/package.dto.js';
import { GetLatestPackageQuery } from './queries/get-latest-package.query.js';
import { GetPackageFileQuery } from './queries/get-package-file.query.js';

/** Spec §12: what QField downloads. */
@ApiTags('packages')
@Controller('packages/:projectId/latest')
export class PackagesController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ProjectPermission('read')
  @ApiOperation({
    operationId: 'getLatestPackage',
    summary: 'The latest successful package: its files (and the attachments), its layers',
    description: 'Any role on the project. A project never packaged successfully: 400 `invalid_job`.',
  })
  @ApiOk(LatestPackageResponse)
  @ApiErrors([400, 'validation_error', 'invalid_job'], 403, 404)
  latest(@CurrentProjectAccess() access: ProjectAccess) {
    return this.queries.execute(new GetLatestPackageQuery(access.projectId));
  }

  @Get('files/*path')
  @ProjectPermission('read')
  @ApiOperation({
    operationId: 'downloadPackageFile',
    summary: 'Download a file of the latest package (or an attachment), with ETag, Range and 304',
    description: "Any role on the project. The ETag is the file's md5sum in double quotes; If-None-Match may carry it quoted or bare.",
  })
  @ApiParam({ name: 'path', description: "The file's name as listed in the latest package", schema: { type: 'string' } })
  @ApiStoredFile('The file', { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } }, { ranges: true })
  @ApiErrors([400, 'validation_error', 'invalid_job'], 403, 404)
  async download(@CurrentProjectAccess() access: ProjectAccess, @FilePath() path: string, @Req() req: Request, @Res() res: Response) {
    await sendStoredFile(req, res, await this.queries.execute(new GetPackageFileQuery(access.projectId, path)));
  }
}
