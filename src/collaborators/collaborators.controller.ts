import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '../auth/actor.js';
import { ApiErrors, ApiList, ApiOk } from '../common/openapi.js';
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
  @ApiOperation({ operationId: 'listCollaborators', summary: 'The collaborators of a project, by name (admins and managers)' })
  @ApiList(CollaboratorResponse)
  @ApiErrors(400, 401, 403, 404)
  list(@CurrentProjectAccess() access: ProjectAccess, @Paging() page: PageRequest) {
    return this.queries.execute(new ListCollaboratorsQuery(access.projectId, page));
  }

  @Post(':projectId')
  @ProjectPermission('manageCollaborators')
  @ApiOperation({ operationId: 'addCollaborator', summary: 'Add a person or team as a collaborator (a manager cannot grant admin)' })
  @ApiOk(CollaboratorResponse, 201)
  @ApiErrors(400, 401, 403, 404)
  add(@CurrentProjectAccess() access: ProjectAccess, @Body() body: AddCollaboratorBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new AddCollaboratorCommand(actor, access, body));
  }

  @Get(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @ApiOperation({ operationId: 'getCollaborator', summary: 'One collaborator' })
  @ApiOk(CollaboratorResponse)
  @ApiErrors(400, 401, 403, 404)
  get(@CurrentProjectAccess() access: ProjectAccess, @Param('username') username: string) {
    return this.queries.execute(new GetCollaboratorQuery(access.projectId, username));
  }

  @Patch(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @ApiOperation({ operationId: 'updateCollaborator', summary: 'Change a collaborator’s role (a manager cannot grant admin or change an admin)' })
  @ApiOk(CollaboratorResponse)
  @ApiErrors(400, 401, 403, 404)
  update(@CurrentProjectAccess() access: ProjectAccess, @Param('username') username: string, @Body() body: UpdateCollaboratorBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateCollaboratorCommand(actor, access, username, body, false));
  }

  @Put(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @ApiOperation({ operationId: 'replaceCollaborator', summary: 'Like PATCH, with role required' })
  @ApiOk(CollaboratorResponse)
  @ApiErrors(400, 401, 403, 404)
  replace(@CurrentProjectAccess() access: ProjectAccess, @Param('username') username: string, @Body() body: UpdateCollaboratorBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateCollaboratorCommand(actor, access, username, body, true));
  }

  @Delete(ONE)
  @ProjectPermission('manageCollaborators')
  @Username()
  @HttpCode(204)
  @ApiOperation({ operationId: 'removeCollaborator', summary: 'Remove a collaborator (a manager cannot remove an admin)' })
  @ApiResponse({ status: 204, description: 'Removed' })
  @ApiErrors(400, 401, 403, 404)
  async remove(@CurrentProjectAccess() access: ProjectAccess, @Param('username') username: string) {
    await this.commands.execute(new RemoveCollaboratorCommand(access, username));
  }
}
