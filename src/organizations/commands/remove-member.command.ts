import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { PermissionDenied } from '../../common/errors.js';
import { mayInOrganization, type OrganizationAccess } from '../organization-access.guard.js';
import { findMember } from '../queries/get-member.query.js';

/**
 * DELETE /members/{organization}/{username}/ (spec §4.2): by the owner and admins, or a member leaving.
 * Their team memberships in the organization and their direct collaborations on its projects go in
 * the same transaction.
 */
export class RemoveMemberCommand extends Command<void> {
  constructor(
    readonly actor: Actor,
    readonly organization: OrganizationAccess,
    readonly member: string,
  ) {
    super();
  }
}

@CommandHandler(RemoveMemberCommand)
export class RemoveMemberHandler implements ICommandHandler<RemoveMemberCommand> {
  constructor(private readonly db: DataSource) {}

  async execute({ actor, organization, member }: RemoveMemberCommand): Promise<void> {
    const { memberId } = await findMember(this.db, organization.id, member);
    if (memberId !== actor.id && !mayInOrganization(organization.standing, 'manage')) throw new PermissionDenied();
    await this.db.transaction(async (db) => {
      await db.query(`DELETE FROM organization_members WHERE organization_id = $1 AND member_id = $2`, [organization.id, memberId]);
      await db.query(
        `DELETE FROM team_members tm USING accounts t WHERE tm.team_id = t.id AND t.team_organization_id = $1 AND tm.member_id = $2`,
        [organization.id, memberId],
      );
      await db.query(
        `DELETE FROM project_collaborators c USING projects p WHERE c.project_id = p.id AND p.owner_id = $1 AND c.collaborator_id = $2`,
        [organization.id, memberId],
      );
    });
  }
}
