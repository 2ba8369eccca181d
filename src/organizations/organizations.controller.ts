import { Body, Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { Patch, Post, Put } from '../common/body.interceptor.js';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '../common/actor.js';
import { ApiErrors, ApiList, ApiNoContent, ApiOk } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { AddMemberCommand } from './commands/add-member.command.js';
import { AddTeamMemberCommand } from './commands/add-team-member.command.js';
import { CreateOrganizationCommand } from './commands/create-organization.command.js';
import { CreateTeamCommand } from './commands/create-team.command.js';
import { DeleteTeamCommand } from './commands/delete-team.command.js';
import { RemoveMemberCommand } from './commands/remove-member.command.js';
import { RemoveTeamMemberCommand } from './commands/remove-team-member.command.js';
import { RenameTeamCommand } from './commands/rename-team.command.js';
import { UpdateMemberCommand } from './commands/update-member.command.js';
import { MemberResponse, TeamMemberResponse, TeamResponse } from './dto/member.dto.js';
import { AddMemberBody, CreateOrganizationBody, TeamBody, TeamMemberBody, UpdateMemberBody } from './dto/organization-requests.dto.js';
import { OrganizationResponse } from './dto/organization.dto.js';
import { CurrentOrganization, OrganizationPermission, type OrganizationAccess } from './organization-access.guard.js';
import { GetMemberQuery } from './queries/get-member.query.js';
import { ListMembersQuery } from './queries/list-members.query.js';
import { ListOrganizationsQuery } from './queries/list-organizations.query.js';
import { GetTeamQuery } from './queries/get-team.query.js';
import { ListTeamMembersQuery } from './queries/list-team-members.query.js';
import { ListTeamsQuery } from './queries/list-teams.query.js';

@ApiTags('organizations')
@Controller()
export class OrganizationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('organizations')
  @ApiOperation({
    operationId: 'createOrganization',
    summary: 'Create an organization owned by the caller',
    description: 'Any person creates one with `username` (the rules of person names) and an optional `email`, and becomes its `organization_owner`.',
  })
  @ApiOk(OrganizationResponse, 201)
  create(@Body() body: CreateOrganizationBody, @CurrentActor() actor: Actor) {
    return this.commands.execute(new CreateOrganizationCommand(actor, body.username, body.email));
  }

  @Get('organizations')
  @ApiOperation({
    operationId: 'listOrganizations',
    summary: 'The organizations the caller owns or belongs to',
    description: "Each with the caller's `membership_role` (`admin` for the owner) and its origin.",
  })
  @ApiList(OrganizationResponse)
  @ApiErrors(400)
  list(@Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    return this.queries.execute(new ListOrganizationsQuery(actor, page));
  }

  @Get('users/:username/organizations')
  @ApiOperation({
    operationId: 'listUserOrganizations',
    summary: "The caller's organizations (403 for anyone else's)",
    description: 'For oneself, the same as `GET /api/v1/organizations/`; for anyone else 403.',
  })
  @ApiList(OrganizationResponse)
  @ApiErrors(400, 403)
  listForUser(@Param('username') username: string, @Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    return this.queries.execute(new ListOrganizationsQuery(actor, page, username));
  }
}

@ApiTags('organizations')
@Controller('members/:organization')
export class MembersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @OrganizationPermission('read')
  @ApiOperation({
    operationId: 'listMembers',
    summary: 'Members of an organization (the owner is not a member row)',
    description: "The owner and members may read; others 403. The owner is the organization's `organization_owner`, not a member row.",
  })
  @ApiList(MemberResponse)
  @ApiErrors(400, 403, 404)
  list(@CurrentOrganization() organization: OrganizationAccess, @Paging() page: PageRequest) {
    return this.queries.execute(new ListMembersQuery(organization, page));
  }

  @Post()
  @OrganizationPermission('manage')
  @ApiOperation({
    operationId: 'addMember',
    summary: 'Add a person to the organization (owner and admins)',
    description:
      '`role` is `admin`, `creator` or `member` (the default). Adding an unknown account, one that is not a person, the owner, or an existing member is 400.',
  })
  @ApiOk(MemberResponse, 201)
  @ApiErrors(403, 404)
  add(@CurrentOrganization() organization: OrganizationAccess, @Body() body: AddMemberBody) {
    return this.commands.execute(new AddMemberCommand(organization, body.member, body.role ?? 'member'));
  }

  @Get(':username')
  @OrganizationPermission('read')
  @ApiOperation({ operationId: 'getMember', summary: 'One member', description: 'The owner and members may read; others 403.' })
  @ApiOk(MemberResponse)
  @ApiErrors(403, 404)
  get(@CurrentOrganization() organization: OrganizationAccess, @Param('username') username: string) {
    return this.queries.execute(new GetMemberQuery(organization, username));
  }

  @Patch(':username')
  @OrganizationPermission('manage')
  @ApiOperation({
    operationId: 'updateMember',
    summary: "Change a member's role (owner and admins)",
    description: '`role` is required: `admin`, `creator` or `member`.',
  })
  @ApiOk(MemberResponse)
  @ApiErrors(403, 404)
  update(@CurrentOrganization() organization: OrganizationAccess, @Param('username') username: string, @Body() body: UpdateMemberBody) {
    return this.commands.execute(new UpdateMemberCommand(organization, username, body.role));
  }

  @Put(':username')
  @OrganizationPermission('manage')
  @ApiOperation({ operationId: 'replaceMember', summary: 'Same as PATCH', description: 'The same as `PATCH`.' })
  @ApiOk(MemberResponse)
  @ApiErrors(403, 404)
  replace(@CurrentOrganization() organization: OrganizationAccess, @Param('username') username: string, @Body() body: UpdateMemberBody) {
    return this.update(organization, username, body);
  }

  @Delete(':username')
  @OrganizationPermission('read')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'removeMember',
    summary: 'Remove a member (owner and admins), or leave (the member themself)',
    description: 'Also removes their team memberships in the organization and their direct collaborations on its projects, in the same transaction.',
  })
  @ApiNoContent('Removed, with their team memberships and direct collaborations in the organization')
  @ApiErrors(403, 404)
  async remove(@CurrentOrganization() organization: OrganizationAccess, @Param('username') username: string, @CurrentActor() actor: Actor) {
    await this.commands.execute(new RemoveMemberCommand(actor, organization, username));
  }
}

@ApiTags('organizations')
@Controller('organizations/:organization/teams')
export class TeamsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @OrganizationPermission('read')
  @ApiOperation({ operationId: 'listTeams', summary: 'Teams of an organization', description: 'Read by the owner and members; others 403.' })
  @ApiList(TeamResponse)
  @ApiErrors(400, 403, 404)
  list(@CurrentOrganization() organization: OrganizationAccess, @Paging() page: PageRequest) {
    return this.queries.execute(new ListTeamsQuery(organization, page));
  }

  @Post()
  @OrganizationPermission('manage')
  @ApiOperation({
    operationId: 'createTeam',
    summary: 'Create a team (owner and admins)',
    description: 'Body `{team}`: the short name, with the character rules of account names; stored as `@<organization>/<team>`.',
  })
  @ApiOk(TeamResponse, 201)
  @ApiErrors(403, 404)
  create(@CurrentOrganization() organization: OrganizationAccess, @Body() body: TeamBody) {
    return this.commands.execute(new CreateTeamCommand(organization, body.team));
  }

  @Get(':team')
  @OrganizationPermission('read')
  @ApiOperation({ operationId: 'getTeam', summary: 'One team', description: 'Read by the owner and members; others 403.' })
  @ApiOk(TeamResponse)
  @ApiErrors(403, 404)
  get(@CurrentOrganization() organization: OrganizationAccess, @Param('team') team: string) {
    return this.queries.execute(new GetTeamQuery(organization, team));
  }

  @Put(':team')
  @OrganizationPermission('manage')
  @ApiOperation({ operationId: 'renameTeam', summary: 'Rename a team (owner and admins)', description: 'Body `{team}`: the new short name.' })
  @ApiOk(TeamResponse)
  @ApiErrors(403, 404)
  rename(@CurrentOrganization() organization: OrganizationAccess, @Param('team') team: string, @Body() body: TeamBody) {
    return this.commands.execute(new RenameTeamCommand(organization, team, body.team));
  }

  @Delete(':team')
  @OrganizationPermission('manage')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteTeam',
    summary: 'Delete a team with its memberships and collaborations (owner and admins)',
    description: 'Owner and admins only.',
  })
  @ApiNoContent('Deleted')
  @ApiErrors(403, 404)
  async remove(@CurrentOrganization() organization: OrganizationAccess, @Param('team') team: string) {
    await this.commands.execute(new DeleteTeamCommand(organization, team));
  }

  @Get(':team/members')
  @OrganizationPermission('read')
  @ApiOperation({ operationId: 'listTeamMembers', summary: 'Members of a team', description: 'Read by the owner and members; others 403.' })
  @ApiList(TeamMemberResponse)
  @ApiErrors(400, 403, 404)
  listMembers(@CurrentOrganization() organization: OrganizationAccess, @Param('team') team: string, @Paging() page: PageRequest) {
    return this.queries.execute(new ListTeamMembersQuery(organization, team, page));
  }

  @Post(':team/members')
  @OrganizationPermission('manage')
  @ApiOperation({
    operationId: 'addTeamMember',
    summary: 'Add the owner or a member of the organization to a team',
    description: "Owner and admins. Body `{member}`: the organization's owner or a member, else 400.",
  })
  @ApiOk(TeamMemberResponse, 201)
  @ApiErrors(403, 404)
  addMember(@CurrentOrganization() organization: OrganizationAccess, @Param('team') team: string, @Body() body: TeamMemberBody) {
    return this.commands.execute(new AddTeamMemberCommand(organization, team, body.member));
  }

  @Delete(':team/members/:username')
  @OrganizationPermission('manage')
  @HttpCode(204)
  @ApiOperation({ operationId: 'removeTeamMember', summary: 'Remove a person from a team', description: 'Owner and admins only.' })
  @ApiNoContent('Removed')
  @ApiErrors(403, 404)
  async removeMember(@CurrentOrganization() organization: OrganizationAccess, @Param('team') team: string, @Param('username') username: string) {
    await this.commands.execute(new RemoveTeamMemberCommand(organization, team, username));
  }
}
