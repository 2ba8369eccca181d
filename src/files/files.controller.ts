import { Controller, Delete, Get, Headers, HttpCode, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentActor, type Actor } from '../auth/actor.js';
import { UploadRoute } from '../common/body.interceptor.js';
import { ApiErrors, ApiList, ApiOk } from '../common/openapi.js';
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
  @ApiOperation({ operationId: 'listProjectFiles', summary: 'Files of a project with their versions' })
  @ApiList(ProjectFileResponse)
  @ApiErrors(400, 401, 403, 404)
  list(@CurrentProjectAccess() access: ProjectAccess, @Paging() page: PageRequest) {
    return this.queries.execute(new ListProjectFilesQuery(access.projectId, page));
  }

  @Post('*path')
  @ProjectPermission('uploadFiles')
  @UploadRoute()
  @UseInterceptors(FileUploadInterceptor)
  @ApiOperation({ operationId: 'uploadProjectFile', summary: 'Upload a new version of a file (multipart field "file")' })
  @PATH_PARAM
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOk(ProjectFileResponse, 201)
  @ApiErrors(400, 401, 402, 403, 404, 413, 415)
  upload(@CurrentActor() actor: Actor, @CurrentProjectAccess() access: ProjectAccess, @FilePath() path: string, @StreamedFile() file: StreamedUpload) {
    return this.commands.execute(new UploadProjectFileCommand(actor, access, path, file));
  }

  @Get('*path')
  @ProjectPermission('read')
  @ApiOperation({ operationId: 'downloadProjectFile', summary: 'Download the newest version (or ?version=), with ETag, Range and 304' })
  @PATH_PARAM
  @ApiQuery({ name: 'version', required: false, schema: { type: 'string', format: 'uuid' } })
  @ApiResponse({ status: 200, description: 'The file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } })
  @ApiResponse({ status: 206, description: 'The requested byte range' })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiErrors(400, 401, 403, 404)
  @ApiResponse({ status: 416, description: 'range_not_satisfiable' })
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
  @ApiOperation({ operationId: 'deleteProjectFile', summary: 'Delete a file with all its versions, or one version with x-file-version' })
  @PATH_PARAM
  @ApiHeader({ name: 'x-file-version', required: false, description: 'Delete only this version' })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiErrors(400, 401, 403, 404)
  async remove(@CurrentProjectAccess() access: ProjectAccess, @FilePath() path: string, @Headers('x-file-version') version: string | undefined) {
    await this.commands.execute(new DeleteProjectFileCommand(access, path, version));
  }
}
