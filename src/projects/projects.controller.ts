import { All, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiConsumes, ApiExcludeEndpoint, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentActor, type Actor } from '../auth/actor.js';
import { UploadRoute } from '../common/body.interceptor.js';
import { MethodNotAllowed } from '../common/errors.js';
import { ApiErrors, ApiList, ApiOk } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { sendStoredFile } from '../storage/send-stored-file.js';
import { CreateProjectCommand } from './commands/create-project.command.js';
import { DeleteProjectCommand } from './commands/delete-project.command.js';
import { UpdateProjectCommand } from './commands/update-project.command.js';
import { UploadProjectThumbnailCommand } from './commands/upload-project-thumbnail.command.js';
import { CreateProjectBody, ListProjectsParams, ProjectSearchParams, UpdateProjectBody } from './dto/project-requests.dto.js';
import { ProjectResponse } from './dto/project.dto.js';
import { GetProjectThumbnailQuery } from './queries/get-project-thumbnail.query.js';
import { GetProjectQuery } from './queries/get-project.query.js';
import { ListProjectsQuery } from './queries/list-projects.query.js';
import { ListPublicProjectsQuery } from './queries/list-public-projects.query.js';
import { ProjectPermission } from './roles/project-role.guard.js';
import { ThumbnailUploadInterceptor } from './thumbnail-upload.interceptor.js';

@ApiTags('projects')
@Controller('projects')
export class ProjectsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listProjects', summary: "The caller's projects (public-only ones with include_public)" })
  @ApiList(ProjectResponse)
  @ApiErrors(400, 401)
  list(@Query() params: ListProjectsParams, @Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    const includePublic = params.include_public ?? params['include-public'] ?? false;
    return this.queries.execute(new ListProjectsQuery(actor, { ...params, includePublic }, page));
  }

  @Post()
  @ApiOperation({ operationId: 'createProject', summary: 'Create a project' })
  @ApiOk(ProjectResponse, 201)
  @ApiErrors(400, 401, 403)
  create(@Body() body: CreateProjectBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new CreateProjectCommand(actor, body));
  }

  @Get('public')
  @ApiOperation({ operationId: 'listPublicProjects', summary: 'Every public project, with the caller’s role' })
  @ApiList(ProjectResponse)
  @ApiErrors(400, 401)
  listPublic(@Query() params: ProjectSearchParams, @Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    return this.queries.execute(new ListPublicProjectsQuery(actor, params, page));
  }

  /** Without this, DELETE /projects/public/ would reach the :projectId routes and read "public" as an id. */
  @All('public')
  @ApiExcludeEndpoint()
  publicOtherMethods(@Req() req: Request): never {
    throw new MethodNotAllowed(req.method, ['GET', 'HEAD']);
  }

  @Get(':projectId')
  @ProjectPermission('read')
  @ApiOperation({ operationId: 'getProject', summary: 'One project' })
  @ApiOk(ProjectResponse)
  @ApiErrors(400, 401, 403, 404)
  get(@Param('projectId') projectId: string, @CurrentActor() actor: Actor) {
    return this.queries.execute(new GetProjectQuery(actor, projectId.toLowerCase()));
  }

  @Patch(':projectId')
  @ProjectPermission('update')
  @ApiOperation({ operationId: 'updateProject', summary: 'Change a project, or transfer it with a different owner' })
  @ApiOk(ProjectResponse)
  @ApiErrors(400, 401, 402, 403, 404)
  update(@Param('projectId') projectId: string, @Body() body: UpdateProjectBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateProjectCommand(actor, projectId.toLowerCase(), body, false));
  }

  @Put(':projectId')
  @ProjectPermission('update')
  @ApiOperation({ operationId: 'replaceProject', summary: 'Like PATCH, with name required' })
  @ApiOk(ProjectResponse)
  @ApiErrors(400, 401, 402, 403, 404)
  replace(@Param('projectId') projectId: string, @Body() body: UpdateProjectBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateProjectCommand(actor, projectId.toLowerCase(), body, true));
  }

  @Delete(':projectId')
  @ProjectPermission('delete')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteProject', summary: 'Delete a project with its collaborators, files and thumbnail (admins only)' })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiErrors(400, 401, 403, 404)
  async remove(@Param('projectId') projectId: string) {
    await this.commands.execute(new DeleteProjectCommand(projectId.toLowerCase()));
  }

  @Post(':projectId/thumbnail')
  @ProjectPermission('uploadThumbnail')
  @UploadRoute()
  @UseInterceptors(ThumbnailUploadInterceptor)
  @HttpCode(204)
  @ApiOperation({ operationId: 'uploadProjectThumbnail', summary: 'Upload the project thumbnail (PNG or JPEG)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['thumbnail'], properties: { thumbnail: { type: 'string', format: 'binary' } } } })
  @ApiResponse({ status: 204, description: 'Stored' })
  @ApiErrors(400, 401, 403, 404, 415)
  async uploadThumbnail(@Param('projectId') projectId: string, @UploadedFile() file: Express.Multer.File | undefined) {
    await this.commands.execute(new UploadProjectThumbnailCommand(projectId.toLowerCase(), file));
  }
}

@ApiTags('projects')
@Controller('files/thumbnails')
export class ProjectThumbnailsController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':projectId')
  @ProjectPermission('read')
  @ApiOperation({ operationId: 'getProjectThumbnail', summary: 'The project thumbnail (ETag, 304 on If-None-Match)' })
  @ApiResponse({ status: 200, description: 'The image', content: { 'image/png': {}, 'image/jpeg': {} } })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiErrors(400, 401, 403, 404)
  async thumbnail(@Param('projectId') projectId: string, @Req() req: Request, @Res() res: Response) {
    await sendStoredFile(req, res, await this.queries.execute(new GetProjectThumbnailQuery(projectId.toLowerCase())));
  }
}
