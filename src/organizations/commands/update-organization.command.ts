import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import type { Actor } from '../../common/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { PROJECT_ROLES, type ProjectRole } from '../../common/roles.js';
import { toOrganizationResponse, type OrganizationResponse } from '../dto/organization.dto.js';
import { mayInOrganization, organizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';

export interface OrganizationChanges {
  email?: string | null;
  default_project_role_for_members?: ProjectRole | null;
  organization_owner?: string;
  storage_quota_bytes?: number | null;
}

/**
 * PATCH /users/{organization}/ (spec §4.2): the owner and admins change `email` and
 * `default_project_role_for_members`; only the owner hands `organization_owner` to a member, who stops
 * being a member row while the old owner becomes an admin member; staff change the quota.
 */
export class UpdateOrganizationCommand extends Command<OrganizationResponse> {
  constructor(
    readonly actor: Actor,
    readonly organization: string,
    readonly changes: OrganizationChanges,
  ) {
    super();
  }
}

@CommandHandler(UpdateOrganizationCommand)
export class UpdateOrganizationHandler implements ICommandHandler<UpdateOrganizationCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly accountsRepository: AccountsRepository,
    private readonly organizationsRepository: OrganizationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute({ actor, organization, changes }: UpdateOrganizationCommand): Promise<OrganizationResponse> {
    return this.dataSource.transaction(async (tx) => {
      const organizations = this.organizationsRepository.withinTx(tx);
      const org = await organizationAccess(organizations, actor.id, organization);
      await this.accountsRepository.withinTx(tx).lock(org.id);
      const manages = mayInOrganization(org.standing, 'manage');
      const given = (field: keyof OrganizationChanges) => changes[field] !== undefined;

      if ((given('email') || given('default_project_role_for_members')) && !manages)
        throw new PermissionDenied('Only the owner and admins may change the organization');
      if (given('organization_owner') && org.standing !== 'owner') throw new PermissionDenied('Only the owner may hand the organization over');
      if (given('storage_quota_bytes') && !actor.isStaff) throw new PermissionDenied('Only staff may change a quota');
      if (!manages && !actor.isStaff) throw new PermissionDenied();

      if (given('email')) {
        if (changes.email !== null && changes.email !== '' && !isEmail(changes.email)) throw ValidationFailed.field('email', 'Must be a valid e-mail address');
        await organizations.update(org.id, { email: changes.email || null });
      }
      if (given('default_project_role_for_members')) {
        const role = changes.default_project_role_for_members;
        if (role !== null && !PROJECT_ROLES.includes(role!))
          throw ValidationFailed.field('default_project_role_for_members', `Must be null or one of ${PROJECT_ROLES.join(', ')}`);
        await organizations.update(org.id, { defaultProjectRoleForMembers: role });
      }
      if (given('storage_quota_bytes')) {
        await organizations.update(org.id, { storageQuotaBytes: changes.storage_quota_bytes });
      }
      if (given('organization_owner')) {
        const member = await organizations.member(org.id, changes.organization_owner!);
        if (!member && changes.organization_owner!.toLowerCase() !== actor.username.toLowerCase()) {
          throw ValidationFailed.field('organization_owner', 'The new owner must be a member of the organization');
        }
        if (member) await organizations.handOver(org.id, org.ownerId, member.member_id);
      }
      return toOrganizationResponse(await organizations.organization(org.id, actor.id), this.config.defaultStorageQuotaBytes);
    });
  }
}
