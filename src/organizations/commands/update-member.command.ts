import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { toMemberResponse, type MemberResponse } from '../dto/member.dto.js';
import type { MembershipRole } from '../dto/organization-requests.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';
import { findMember } from '../queries/get-member.query.js';

/** PATCH|PUT /members/{organization}/{username}/: the owner and admins change a member's role. */
export class UpdateMemberCommand extends Command<MemberResponse> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly member: string,
    readonly role: MembershipRole,
  ) {
    super();
  }
}

@CommandHandler(UpdateMemberCommand)
export class UpdateMemberHandler implements ICommandHandler<UpdateMemberCommand> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, member, role }: UpdateMemberCommand): Promise<MemberResponse> {
    const { memberId } = await findMember(this.organizations, organization.id, member);
    return toMemberResponse(await this.organizations.setMemberRole(organization.id, memberId, role));
  }
}
