import { Body, Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { Patch, Post, Put } from '../common/body.interceptor.js';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '../common/actor.js';
import { ApiErrors, ApiList, ApiNoContent, ApiOk } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { CurrentProjectAccess, ProjectPermission } from '../projects/roles/project-role.guard.js';
import type { ProjectAccess } from '../projects/roles/roles.js';
import { AddCollaboratorCommand } from './commands/add-collaborator.command.js';
import { RemoveCollaboratorCommand } from './commands/remove-collaborator.command.js';
import { UpdateCollaboratorCommand } from './commands/update-collaborator.command.js';
import { AddCollaboratorBody, UpdateCollaboratorBody } from './dto/collaborator-requests.dto.js';
import { CollaboratorResponse } from './dto/collaborator.dto.js';
import { GetCollaboratorQuery } from './queries/get-collaborator.query.js';
import { ListCollaboratorsQuery } from './queries/list-collaborators.query.js';

const ONE = ':projectId/:username';
const Username = () =>
  ApiParam({ name: 'username', description: 'The collaborator’s username, case-insensitive; a team as "@organization/team", URL-encoded (%40org%2Fteam)' });

/** Spec §6.3: the collaborators of a project, for its admins and managers only. */
@ApiTags('collaborators')
@Controller('collaborators')
export class CollaboratorsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get(':projectId')
  @ProjectPermission('manageCollaborators')
  @ApiOperation({
    operationId: 'listCollaborators',
    summary: 'The collaborators of a project, by name (admins and managers)',
    description: 'Admins and managers of the project only. A team appears as `@org/team`.',
  })
  @ApiList(CollaboratorResponse)
  @ApiErrors(400, 403, 404)
  list(@CurrentProjectAccess() access: ProjectAccess, @Paging() page: PageRequest) {
    return this.queries.execute(new ListCollaboratorsQuery(access.projectId, page));
  }

  @Post(':projectId')
  @ProjectPermission('manageCollaborators')
  @ApiOperation({
    operationId: 'addCollaborator',
    summary: 'Add a person or team as a collaborator (a manager cannot grant admin)',
    description:
      'Admins and managers; a manager cannot grant `admin` (403). `role` defaults to `reader`. Eligibility (400 otherwise): the owner cannot be a collaborator; ' +
      "on an organization's project a person must be the organization's owner or a member and a team must belong to that organization; teams cannot collaborate " +
      "on a person's project; organizations cannot be collaborators; an unknown account or an existing collaborator is 400.",
  })
  @ApiOk(CollaboratorResponse, 201)
  @ApiErrors(403, 404)
  add(@CurrentProjectAccess() access: ProjectAccess, @Body() body: AddCollaboratorBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new AddCollaboratorCommand(actor, access, body));
  }

  @Get(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @ApiOperation({ operationId: 'getCollaborator', summary: 'One collaborator', description: 'Admins and managers of the project only.' })
  @ApiOk(CollaboratorResponse)
  @ApiErrors(400, 403, 404)
  get(@CurrentProjectAccess() access: ProjectAccess, @Param('username') username: string) {
    return this.queries.execute(new GetCollaboratorQuery(access.projectId, username));
  }

  @Patch(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @ApiOperation({
    operationId: 'updateCollaborator',
    summary: 'Change a collaborator’s role (a manager cannot grant admin or change an admin)',
    description: 'Admins and managers; a manager cannot grant `admin` nor change an admin collaborator (403). `updated_by` becomes the caller.',
  })
  @ApiOk(CollaboratorResponse)
  @ApiErrors(403, 404)
  update(
    @CurrentProjectAccess() access: ProjectAccess,
    @Param('username') username: string,
    @Body() body: UpdateCollaboratorBody,
    @CurrentActor() actor: Actor,
  ) {
    return this.commands.execute(new UpdateCollaboratorCommand(actor, access, username, body, false));
  }

  @Put(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @ApiOperation({ operationId: 'replaceCollaborator', summary: 'Like PATCH, with role required', description: 'Behaves like `PATCH`, but `role` is required.' })
  @ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(UpdateCollaboratorBody) }], required: ['role'] } })
  @ApiOk(CollaboratorResponse)
  @ApiErrors(403, 404)
  replace(
    @CurrentProjectAccess() access: ProjectAccess,
    @Param('username') username: string,
    @Body() body: UpdateCollaboratorBody,
    @CurrentActor() actor: Actor,
  ) {
    return this.commands.execute(new UpdateCollaboratorCommand(actor, access, username, body, true));
  }

  @Delete(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'removeCollaborator',
    summary: 'Remove a collaborator (a manager cannot remove an admin)',
    description: 'Admins and managers; a manager cannot remove an admin collaborator (403).',
  })
  @ApiNoContent('Removed')
  @ApiErrors(400, 403, 404)
  async remove(@CurrentProjectAccess() access: ProjectAccess, @Param('username') username: string) {
    await this.commands.execute(new RemoveCollaboratorCommand(access, username));
  }
}
