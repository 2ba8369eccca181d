import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, StaffOnly, type Actor } from '../auth/actor.js';
import { ApiErrors, ApiList, ApiOk } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { CreatePersonCommand } from './commands/create-person.command.js';
import { DeleteAccountCommand } from './commands/delete-account.command.js';
import { UpdateUserCommand } from './commands/update-user.command.js';
import { PersonResponse } from './dto/person.dto.js';
import { CreatePersonBody, ListUsersParams, UpdateUserBody } from './dto/user-requests.dto.js';
import { GetUserQuery } from './queries/get-user.query.js';
import { ListUsersQuery } from './queries/list-users.query.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @StaffOnly()
  @ApiOperation({ operationId: 'createUser', summary: 'Create a person (staff only)' })
  @ApiOk(PersonResponse, 201)
  @ApiErrors(400, 401, 403)
  create(@Body() body: CreatePersonBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new CreatePersonCommand(actor, { ...body, firstName: body.first_name, lastName: body.last_name }));
  }

  @Get()
  @ApiOperation({ operationId: 'listUsers', summary: 'Search persons and organizations by name' })
  @ApiList(PersonResponse)
  @ApiErrors(400, 401)
  list(@Query() params: ListUsersParams, @Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    return this.queries.execute(new ListUsersQuery(actor, params.q ?? '', params.exclude_organizations ?? false, page));
  }

  @Get(':username')
  @ApiOperation({ operationId: 'getUser', summary: 'One account' })
  @ApiOk(PersonResponse)
  @ApiErrors(401, 404)
  get(@Param('username') username: string, @CurrentActor() actor: Actor) {
    return this.queries.execute(new GetUserQuery(actor, username));
  }

  @Patch(':username')
  @ApiOperation({ operationId: 'updateUser', summary: 'Change a person (themself, or staff) or an organization (owner and admins)' })
  @ApiOk(PersonResponse)
  @ApiErrors(400, 401, 403, 404)
  update(@Param('username') username: string, @Body() body: UpdateUserBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateUserCommand(actor, username, body));
  }

  @Put(':username')
  @ApiOperation({ operationId: 'replaceUser', summary: 'Same as PATCH' })
  @ApiOk(PersonResponse)
  @ApiErrors(400, 401, 403, 404)
  replace(@Param('username') username: string, @Body() body: UpdateUserBody, @CurrentActor() actor: Actor) {
    return this.update(username, body, actor);
  }

  @Delete(':username')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteUser', summary: 'Delete a person (staff) or an organization (its owner)' })
  @ApiErrors(400, 401, 403, 404)
  async remove(@Param('username') username: string, @CurrentActor() actor: Actor) {
    await this.commands.execute(new DeleteAccountCommand(actor, username));
  }
}
