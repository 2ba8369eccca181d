import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { PROJECT_ROLES, type ProjectRole } from '../../projects/roles/roles.js';
import { loadOrganization, type OrganizationResponse } from '../dto/organization.dto.js';
import { mayInOrganization, organizationAccess } from '../organization-access.guard.js';

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
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute({ actor, organization, changes }: UpdateOrganizationCommand): Promise<OrganizationResponse> {
    return this.db.transaction(async (db) => {
      const org = await organizationAccess(db, actor.id, organization);
      await db.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [org.id]);
      const manages = mayInOrganization(org.standing, 'manage');
      const given = (field: keyof OrganizationChanges) => changes[field] !== undefined;

      if ((given('email') || given('default_project_role_for_members')) && !manages) throw new PermissionDenied('Only the owner and admins may change the organization');
      if (given('organization_owner') && org.standing !== 'owner') throw new PermissionDenied('Only the owner may hand the organization over');
      if (given('storage_quota_bytes') && !actor.isStaff) throw new PermissionDenied('Only staff may change a quota');
      if (!manages && !actor.isStaff) throw new PermissionDenied();

      if (given('email')) {
        if (changes.email !== null && changes.email !== '' && !isEmail(changes.email)) throw ValidationFailed.field('email', 'Must be a valid e-mail address');
        await db.query(`UPDATE accounts SET email = $2, updated_at = now() WHERE id = $1`, [org.id, changes.email || null]);
      }
      if (given('default_project_role_for_members')) {
        const role = changes.default_project_role_for_members;
        if (role !== null && !PROJECT_ROLES.includes(role!)) throw ValidationFailed.field('default_project_role_for_members', `Must be null or one of ${PROJECT_ROLES.join(', ')}`);
        await db.query(`UPDATE accounts SET default_project_role_for_members = $2, updated_at = now() WHERE id = $1`, [org.id, role]);
      }
      if (given('storage_quota_bytes')) {
        await db.query(`UPDATE accounts SET storage_quota_bytes = $2, updated_at = now() WHERE id = $1`, [org.id, changes.storage_quota_bytes]);
      }
      if (given('organization_owner')) {
        const [member] = await db.query(
          `SELECT u.id FROM organization_members m JOIN accounts u ON u.id = m.member_id WHERE m.organization_id = $1 AND lower(u.username) = lower($2)`,
          [org.id, changes.organization_owner],
        );
        if (!member && changes.organization_owner!.toLowerCase() !== actor.username.toLowerCase()) {
          throw ValidationFailed.field('organization_owner', 'The new owner must be a member of the organization');
        }
        if (member) {
          await db.query(`DELETE FROM organization_members WHERE organization_id = $1 AND member_id = $2`, [org.id, member.id]);
          await db.query(`INSERT INTO organization_members (organization_id, member_id, role) VALUES ($1, $2, 'admin')`, [org.id, org.ownerId]);
          await db.query(`UPDATE accounts SET organization_owner_id = $2, updated_at = now() WHERE id = $1`, [org.id, member.id]);
        }
      }
      return loadOrganization(db, actor.id, org.id, this.config.defaultStorageQuotaBytes);
    });
  }
}
