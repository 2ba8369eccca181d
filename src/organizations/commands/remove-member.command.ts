import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../common/actor.js';
import { PermissionDenied } from '../../common/errors.js';
import { mayInOrganization, type OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
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
  constructor(
    private readonly dataSource: DataSource,
    private readonly organizations: OrganizationsRepository,
  ) {}

  async execute({ actor, organization, member }: RemoveMemberCommand): Promise<void> {
    const { memberId } = await findMember(this.organizations, organization.id, member);
    if (memberId !== actor.id && !mayInOrganization(organization.standing, 'manage')) throw new PermissionDenied();
    await this.dataSource.transaction((tx) => this.organizations.withinTx(tx).removeMember(organization.id, memberId));
  }
}
