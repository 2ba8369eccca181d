import { Body, Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { Patch, Post, Put } from '../common/body.interceptor.js';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, StaffOnly, type Actor } from '../common/actor.js';
import { ApiErrors, ApiList, ApiNoContent, ApiOk } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { CreatePersonCommand } from '../accounts/commands/create-person.command.js';
import { PersonResponse } from '../accounts/dto/person.dto.js';
import { CreatePersonBody, ListUsersParams, UpdateUserBody } from '../accounts/dto/user-requests.dto.js';
import { DeleteAccountCommand } from './commands/delete-account.command.js';
import { UpdateUserCommand } from './commands/update-user.command.js';
import { OrganizationResponse } from './dto/organization.dto.js';
import { GetUserQuery } from './queries/get-user.query.js';
import { ListUsersQuery } from './queries/list-users.query.js';

/** GET /auth/user/: the caller's person object, the same one GET /users/{username}/ answers. */
@ApiTags('auth')
@Controller('auth')
export class CurrentUserController {
  constructor(private readonly queries: QueryBus) {}

  @Get('user')
  @ApiOperation({ operationId: 'getCurrentUser', summary: 'The caller', description: "The caller's full person object (spec §4.1)." })
  @ApiOk(PersonResponse)
  user(@CurrentActor() actor: Actor) {
    return this.queries.execute(new GetUserQuery(actor, actor.username));
  }
}

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @StaffOnly()
  @ApiOperation({
    operationId: 'createUser',
    summary: 'Create a person (staff only)',
    description:
      'Staff only. Body: `username` (3–150 characters: a letter, then letters, digits, `-` and `_`; unique case-insensitively; not a reserved word), ' +
      '`email` (unique case-insensitively), `password` (at least 8 characters), optional `first_name`, `last_name`.',
  })
  @ApiOk(PersonResponse, 201)
  @ApiErrors(403)
  create(@Body() body: CreatePersonBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new CreatePersonCommand(actor, { ...body, firstName: body.first_name, lastName: body.last_name }));
  }

  @Get()
  @ApiOperation({
    operationId: 'listUsers',
    summary: 'Search persons and organizations by name',
    description:
      'Persons and organizations whose name contains `q` (case-insensitive); `exclude_organizations=1` leaves organizations out; teams are never listed. ' +
      'Names keep the case they were created with.',
  })
  @ApiList([PersonResponse, OrganizationResponse])
  @ApiErrors(400)
  list(@Query() params: ListUsersParams, @Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    return this.queries.execute(new ListUsersQuery(actor, params.q ?? '', params.exclude_organizations ?? false, page));
  }

  @Get(':username')
  @ApiOperation({
    operationId: 'getUser',
    summary: 'One account',
    description:
      'A person (`email`, `is_staff` and the storage fields only for the person themself and for staff), or an organization object (spec §4.2). ' +
      'Teams are not accounts one can read here (404).',
  })
  @ApiOk([PersonResponse, OrganizationResponse])
  @ApiErrors(404)
  get(@Param('username') username: string, @CurrentActor() actor: Actor) {
    return this.queries.execute(new GetUserQuery(actor, username));
  }

  @Patch(':username')
  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Change a person (themself, or staff) or an organization (owner and admins)',
    description:
      "A person may change their own `first_name`, `last_name`, `email`, `password`; staff may change anyone's and also `storage_quota_bytes` " +
      "(of persons and organizations) and `is_active`. Anything else — another person's record, or one's own quota or active flag — is 403. " +
      'An organization: its owner or an admin may change `email` and `default_project_role_for_members`; `organization_owner` the owner only, and the new owner ' +
      'must be a member (else 400): they stop being a member row and the old owner becomes an `admin` member.',
  })
  @ApiOk([PersonResponse, OrganizationResponse])
  @ApiErrors(403, 404)
  update(@Param('username') username: string, @Body() body: UpdateUserBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new UpdateUserCommand(actor, username, body));
  }

  @Put(':username')
  @ApiOperation({ operationId: 'replaceUser', summary: 'Same as PATCH', description: 'Behaves exactly like `PATCH`: only the fields sent change.' })
  @ApiOk([PersonResponse, OrganizationResponse])
  @ApiErrors(403, 404)
  replace(@Param('username') username: string, @Body() body: UpdateUserBody, @CurrentActor() actor: Actor) {
    return this.update(username, body, actor);
  }

  @Delete(':username')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteUser',
    summary: 'Delete a person (staff) or an organization (its owner)',
    description:
      'Only accounts that own no project can go (400 `validation_error` otherwise); everything else that points at the account ' +
      "(tokens, memberships, team memberships, collaborations, an organization's teams) goes with it in one transaction.",
  })
  @ApiNoContent('Deleted')
  @ApiErrors(400, 403, 404)
  async remove(@Param('username') username: string, @CurrentActor() actor: Actor) {
    await this.commands.execute(new DeleteAccountCommand(actor, username));
  }
}
