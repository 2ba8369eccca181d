import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountType } from '../../accounts/account.entity.js';
import { ValidationFailed } from '../../common/errors.js';
import { isUniqueViolation } from '../../database/sql.js';
import { MEMBER_COLUMNS, MEMBER_FROM, toMemberResponse, type MemberResponse } from '../dto/member.dto.js';
import type { MembershipRole } from '../dto/organization-requests.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';

/** POST /members/{organization}/ (spec §4.2): the owner and admins add a person with a role. */
export class AddMemberCommand extends Command<MemberResponse> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly member: string,
    readonly role: MembershipRole,
  ) {
    super();
  }
}

@CommandHandler(AddMemberCommand)
export class AddMemberHandler implements ICommandHandler<AddMemberCommand> {
  constructor(private readonly db: DataSource) {}

  async execute({ organization, member, role }: AddMemberCommand): Promise<MemberResponse> {
    const [person] = await this.db.query(`SELECT id, type FROM accounts WHERE lower(username) = lower($1)`, [member]);
    if (!person) throw ValidationFailed.field('member', `No account named "${member}"`);
    if (person.type !== AccountType.Person) throw ValidationFailed.field('member', 'Only persons can be members');
    if (person.id === organization.ownerId) throw ValidationFailed.field('member', 'The owner is not a member');
    try {
      await this.db.query(`INSERT INTO organization_members (organization_id, member_id, role) VALUES ($1, $2, $3)`, [organization.id, person.id, role]);
    } catch (error) {
      if (isUniqueViolation(error)) throw ValidationFailed.field('member', `"${member}" is already a member`);
      throw error;
    }
    const [row] = await this.db.query(`SELECT ${MEMBER_COLUMNS} FROM ${MEMBER_FROM} WHERE m.organization_id = $1 AND m.member_id = $2`, [organization.id, person.id]);
    return toMemberResponse(row);
  }
}
