import { All, Body, Controller, Delete, Get, HttpCode, Param, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiConsumes, ApiExcludeEndpoint, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentActor, type Actor } from '../common/actor.js';
import { Patch, Post, Put, UploadRoute } from '../common/body.interceptor.js';
import { MethodNotAllowed } from '../common/errors.js';
import { ApiErrors, ApiList, ApiNoContent, ApiOk, ApiStoredFile } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { sendStoredFile } from '../storage/send-stored-file.js';
import { CreateProjectCommand } from './commands/create-project.command.js';
import { DeleteProjectCommand } from './commands/delete-project.command.js';
import { UpdateProjectCommand } from './commands/update-project.command.js';
import { UploadProjectThumbnailCommand } from './commands/upload-project-thumbnail.command.js';
import { CreateProjectBody, ListProjectsParams, ProjectSearchParams, UpdateProjectBody } from './dto/project-requests.dto.js';
import { ProjectDetailResponse, ProjectResponse } from './dto/project.dto.js';
import { GetProjectThumbnailQuery } from './queries/get-project-thumbnail.query.js';
import { GetProjectQuery } from './queries/get-project.query.js';
import { ListProjectsQuery } from './queries/list-projects.query.js';
import { ListPublicProjectsQuery } from './queries/list-public-projects.query.js';
import { ProjectIdInPath, ProjectPermission } from './roles/project-role.guard.js';
import { ThumbnailUploadInterceptor } from './thumbnail-upload.interceptor.js';

@ApiTags('projects')
@Controller('projects')
export class ProjectsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listProjects',
    summary: "The caller's projects (public-only ones with include_public)",
    description:
      'Every project on which the caller has a role, except projects whose only role for the caller comes from being public, unless `include_public` is true. ' +
      '`owner` and `name` are exact, case-insensitive filters; `search` splits on whitespace and commas and every term must occur in the owner name or the project name. ' +
      'Default order: featured first, then owner, then name (case-insensitive); every order ends on `id`, so pages never overlap or skip.',
  })
  @ApiList(ProjectResponse)
  @ApiErrors(400)
  list(@Query() params: ListProjectsParams, @Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    const includePublic = params.include_public ?? params['include-public'] ?? false;
    return this.queries.execute(new ListProjectsQuery(actor, { ...params, includePublic }, page));
  }

  @Post()
  @ApiOperation({
    operationId: 'createProject',
    summary: 'Create a project',
    description:
      "In one's own account, or in an organization where one is the owner, an `admin` or a `creator` member (a `creator` becomes a direct `admin` collaborator). " +
      "A plain `member`, or another person's account, is 403; an `owner` that names no person or organization is 400. " +
      'The name `shared_datasets` makes a `shared_datasets` project; asking for `project_type=shared_datasets` is 400. ' +
      'A name the owner already has is 400 `project_already_exists`, also when two creates race.',
  })
  @ApiOk(ProjectResponse, 201)
  @ApiErrors([400, 'validation_error', 'project_already_exists'], 403)
  create(@Body() body: CreateProjectBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new CreateProjectCommand(actor, body));
  }

  @Get('public')
  @ApiOperation({
    operationId: 'listPublicProjects',
    summary: 'Every public project, with the caller’s role',
    description: "Every public project on the server, each with the caller's real role (their own, otherwise at least `reader`/`public`).",
  })
  @ApiList(ProjectResponse)
  @ApiErrors(400)
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
  @ProjectIdInPath()
  @ApiOperation({
    operationId: 'getProject',
    summary: 'One project',
    description: '404 when no such project exists; 403 when it exists and the caller has no role on it. With `project_details`, which lists leave out.',
  })
  @ApiOk(ProjectDetailResponse)
  @ApiErrors(400, 403, 404)
  get(@Param('projectId') projectId: string, @CurrentActor() actor: Actor) {
    return this.queries.execute(new GetProjectQuery(actor, projectId));
  }

  @Patch(':projectId')
  @ProjectPermission('update')
  @ApiOperation({
    operationId: 'updateProject',
    summary: 'Change a project, or transfer it with a different owner',
    description:
      'Admins and managers of the project. An empty body answers the unchanged project. Renaming follows the create rules; a `shared_datasets` project cannot be renamed ' +
      'nor change `project_type`; renaming a project that has a QGIS file to `shared_datasets` is 400 `qgis_project_file_not_allowed`. ' +
      'A different `owner` transfers the project to that person or organization (a team or unknown account: 400), in one transaction: ' +
      'a name the target already has is 400 `project_already_exists`, a target quota that cannot hold `file_storage_bytes` is 402 `over_quota`, ' +
      "and collaborators no longer eligible under the new owner are removed. The answer shows the caller's role after the move (null when none is left). " +
      'A change of owner and of other fields applies all of it or none of it.',
  })
  @ApiOk(ProjectResponse)
  @ApiErrors([400, 'validation_error', 'project_already_exists', 'qgis_project_file_not_allowed'], 402, 403, 404)
  update(@Param('projectId') projectId: string, @Body() body: UpdateProjectBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateProjectCommand(actor, projectId.toLowerCase(), body, false));
  }

  @Put(':projectId')
  @ProjectPermission('update')
  @ApiOperation({
    operationId: 'replaceProject',
    summary: 'Like PATCH, with name required',
    description: 'Behaves like `PATCH` (only the fields sent change), but `name` is required.',
  })
  @ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(UpdateProjectBody) }], required: ['name'] } })
  @ApiOk(ProjectResponse)
  @ApiErrors([400, 'validation_error', 'project_already_exists', 'qgis_project_file_not_allowed'], 402, 403, 404)
  replace(@Param('projectId') projectId: string, @Body() body: UpdateProjectBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateProjectCommand(actor, projectId.toLowerCase(), body, true));
  }

  @Delete(':projectId')
  @ProjectPermission('delete')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteProject',
    summary: 'Delete a project with its collaborators, files and thumbnail (admins only)',
    description: 'Admins of the project only. Removes the project, its collaborators, its files and all their versions, and its thumbnail.',
  })
  @ApiNoContent('Deleted')
  @ApiErrors(400, 403, 404)
  async remove(@Param('projectId') projectId: string) {
    await this.commands.execute(new DeleteProjectCommand(projectId.toLowerCase()));
  }

  @Post(':projectId/thumbnail')
  @ProjectPermission('uploadThumbnail')
  @UploadRoute()
  @UseInterceptors(ThumbnailUploadInterceptor)
  @HttpCode(204)
  @ApiOperation({
    operationId: 'uploadProjectThumbnail',
    summary: 'Upload the project thumbnail (PNG or JPEG)',
    description:
      'Roles admin, manager, editor and reporter. The content must really be a PNG or JPEG image (checked from its bytes), at most THUMBNAIL_MAX_BYTES ' +
      'and THUMBNAIL_MAX_DIMENSION pixels on each side; otherwise, or without the file field, 400. Not multipart: 415. The previous thumbnail is removed.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: { type: 'object', required: ['thumbnail'], properties: { thumbnail: { type: 'string', format: 'binary', description: 'A PNG or JPEG image' } } },
  })
  @ApiNoContent('Stored')
  @ApiErrors(403, 404)
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
  @ApiOperation({
    operationId: 'getProjectThumbnail',
    summary: 'The project thumbnail (ETag, 304 on If-None-Match)',
    description: 'Any role on the project. 404 when the project has no thumbnail.',
  })
  @ApiStoredFile(
    'The image, with its real content type',
    {
      'image/png': { schema: { type: 'string', format: 'binary' } },
      'image/jpeg': { schema: { type: 'string', format: 'binary' } },
    },
    { ranges: false },
  )
  @ApiErrors(400, 403, 404)
  async thumbnail(@Param('projectId') projectId: string, @Req() req: Request, @Res() res: Response) {
    await sendStoredFile(req, res, await this.queries.execute(new GetProjectThumbnailQuery(projectId.toLowerCase())));
  }
}
