import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AddMemberHandler } from './commands/add-member.command.js';
import { AddTeamMemberHandler } from './commands/add-team-member.command.js';
import { CreateOrganizationHandler } from './commands/create-organization.command.js';
import { CreateTeamHandler } from './commands/create-team.command.js';
import { DeleteTeamHandler } from './commands/delete-team.command.js';
import { RemoveMemberHandler } from './commands/remove-member.command.js';
import { RemoveTeamMemberHandler } from './commands/remove-team-member.command.js';
import { RenameTeamHandler } from './commands/rename-team.command.js';
import { UpdateMemberHandler } from './commands/update-member.command.js';
import { UpdateOrganizationHandler } from './commands/update-organization.command.js';
import { OrganizationGuard } from './organization-access.guard.js';
import { OrganizationsRepository } from './organizations.repository.js';
import { MembersController, OrganizationsController, TeamsController } from './organizations.controller.js';
import { GetMemberHandler } from './queries/get-member.query.js';
import { ListMembersHandler } from './queries/list-members.query.js';
import { ListOrganizationsHandler } from './queries/list-organizations.query.js';
import { GetTeamHandler } from './queries/get-team.query.js';
import { ListTeamMembersHandler } from './queries/list-team-members.query.js';
import { ListTeamsHandler } from './queries/list-teams.query.js';

const commandHandlers = [
  CreateOrganizationHandler,
  UpdateOrganizationHandler,
  AddMemberHandler,
  UpdateMemberHandler,
  RemoveMemberHandler,
  CreateTeamHandler,
  RenameTeamHandler,
  DeleteTeamHandler,
  AddTeamMemberHandler,
  RemoveTeamMemberHandler,
];
const queryHandlers = [ListOrganizationsHandler, ListMembersHandler, GetMemberHandler, ListTeamsHandler, GetTeamHandler, ListTeamMembersHandler];

@Module({
  imports: [AccountsModule],
  controllers: [OrganizationsController, MembersController, TeamsController],
  providers: [OrganizationsRepository, ...commandHandlers, ...queryHandlers, OrganizationGuard],
  exports: [OrganizationsRepository],
})
export class OrganizationsModule {}
