import { Controller, Delete, Get, Headers, HttpCode, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentActor, type Actor } from '../common/actor.js';
import { Post, UploadRoute } from '../common/body.interceptor.js';
import { ApiErrors, ApiList, ApiNoContent, ApiOk, ApiStoredFile } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { CurrentProjectAccess, ProjectPermission } from '../projects/roles/project-role.guard.js';
import type { ProjectAccess } from '../projects/roles/roles.js';
import { sendStoredFile } from '../storage/send-stored-file.js';
import { DeleteProjectFileCommand } from './commands/delete-project-file.command.js';
import { UploadProjectFileCommand } from './commands/upload-project-file.command.js';
import { ProjectFileResponse } from './dto/project-file.dto.js';
import { FilePath, FileUploadInterceptor, StreamedFile } from './file-upload.interceptor.js';
import { GetProjectFileQuery } from './queries/get-project-file.query.js';
import { ListProjectFilesQuery } from './queries/list-project-files.query.js';
import type { StreamedUpload } from './upload-stream.js';

const PATH_PARAM = ApiParam({ name: 'path', description: 'Relative file path with "/" separators', schema: { type: 'string' } });

@ApiTags('files')
@Controller('files/:projectId')
export class FilesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ProjectPermission('read')
  @ApiOperation({
    operationId: 'listProjectFiles',
    summary: 'Files of a project with their versions',
    description:
      "Any role on the project. Each file with its newest version's facts and every kept version, newest first; `is_attachment` is true under `DCIM/`.",
  })
  @ApiList(ProjectFileResponse)
  @ApiErrors(400, 403, 404)
  list(@CurrentProjectAccess() access: ProjectAccess, @Paging() page: PageRequest) {
    return this.queries.execute(new ListProjectFilesQuery(access.projectId, page));
  }

  @Post('*path')
  @ProjectPermission('uploadFiles')
  @UploadRoute()
  @UseInterceptors(FileUploadInterceptor)
  @ApiOperation({
    operationId: 'uploadProjectFile',
    summary: 'Upload a new version of a file (multipart field "file")',
    description:
      'Roles admin, manager, editor, reporter; a restricted file (the QGIS file and its companions) in a project with `has_restricted_projectfiles` needs admin or manager. ' +
      "The body is streamed to storage; over FILE_MAX_BYTES is 413. If the owner's stored bytes after the upload would exceed the quota: 402 and nothing is kept. " +
      'Only the newest STORAGE_KEEP_VERSIONS versions of a file are kept. ' +
      'A .qgs/.qgz whose root element is not <qgis version="X.Y.Z…"> (a .qgz: a zip holding the .qgs) is 400 invalid_qgis_project_file; a valid one sets the project\'s qgis_version.',
  })
  @PATH_PARAM
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOk(ProjectFileResponse, 201)
  @ApiErrors([400, 'validation_error', 'qgis_project_file_not_allowed', 'multiple_qgis_project_files', 'invalid_qgis_project_file'], 402, 403, 404)
  upload(@CurrentActor() actor: Actor, @CurrentProjectAccess() access: ProjectAccess, @FilePath() path: string, @StreamedFile() file: StreamedUpload) {
    return this.commands.execute(new UploadProjectFileCommand(actor, access, path, file));
  }

  @Get('*path')
  @ProjectPermission('read')
  @ApiOperation({
    operationId: 'downloadProjectFile',
    summary: 'Download the newest version (or ?version=), with ETag, Range and 304',
    description:
      "Any role on the project. The ETag is the file's md5sum (the S3-style ETag) in double quotes; If-None-Match may carry it quoted or bare (304).",
  })
  @PATH_PARAM
  @ApiQuery({
    name: 'version',
    required: false,
    schema: { type: 'string', format: 'uuid' },
    description: 'A version id from the file list; default the newest',
  })
  @ApiStoredFile(
    'The file, with a content type from its extension',
    { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    { ranges: true },
  )
  @ApiErrors(400, 403, 404)
  async download(
    @CurrentProjectAccess() access: ProjectAccess,
    @FilePath() path: string,
    @Query('version') version: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    await sendStoredFile(req, res, await this.queries.execute(new GetProjectFileQuery(access.projectId, path, version)));
  }

  @Delete('*path')
  @ProjectPermission('deleteFiles')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteProjectFile',
    summary: 'Delete a file with all its versions, or one version with x-file-version',
    description: 'Roles admin, manager, editor; restricted files in a project with `has_restricted_projectfiles` need admin or manager.',
  })
  @PATH_PARAM
  @ApiHeader({ name: 'x-file-version', required: false, description: 'Delete only this version', schema: { type: 'string', format: 'uuid' } })
  @ApiNoContent('Deleted')
  @ApiErrors(400, 403, 404)
  async remove(@CurrentProjectAccess() access: ProjectAccess, @FilePath() path: string, @Headers('x-file-version') version: string | undefined) {
    await this.commands.execute(new DeleteProjectFileCommand(access, path, version));
  }
}
