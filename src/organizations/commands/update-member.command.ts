import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { MEMBER_COLUMNS, toMemberResponse, type MemberResponse } from '../dto/member.dto.js';
import type { MembershipRole } from '../dto/organization-requests.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, member, role }: UpdateMemberCommand): Promise<MemberResponse> {
    const { memberId } = await findMember(this.db, organization.id, member);
    const [[row]] = await this.db.query(
      `UPDATE organization_members m SET role = $3 FROM accounts o, accounts u
        WHERE m.organization_id = $1 AND m.member_id = $2 AND o.id = m.organization_id AND u.id = m.member_id
        RETURNING ${MEMBER_COLUMNS}`,
      [organization.id, memberId, role],
    );
    return toMemberResponse(row);
  }
}

