import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import { AccountType } from '../../common/account-type.js';
import { ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import { toMemberResponse, type MemberResponse } from '../dto/member.dto.js';
import type { MembershipRole } from '../dto/organization-requests.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';

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
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly organizations: OrganizationsRepository,
  ) {}

  async execute({ organization, member, role }: AddMemberCommand): Promise<MemberResponse> {
    const person = await this.accounts.findByName(member);
    if (!person) throw ValidationFailed.field('member', `No account named "${member}"`);
    if (person.type !== AccountType.Person) throw ValidationFailed.field('member', 'Only persons can be members');
    if (person.id === organization.ownerId) throw ValidationFailed.field('member', 'The owner is not a member');
    await onUniqueViolation(this.organizations.addMember(organization.id, person.id, role), undefined, () =>
      ValidationFailed.field('member', `"${member}" is already a member`),
    );
    return toMemberResponse(await this.organizations.memberById(organization.id, person.id));
  }
}
