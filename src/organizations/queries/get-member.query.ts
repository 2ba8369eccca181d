import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ObjectNotFound } from '../../common/errors.js';
import { toMemberResponse, type MemberResponse, type MemberRow } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';
import { OrganizationsRepository } from '../organizations.repository.js';

/** A member row by username (case-insensitive); 404 when that person is not a member. */
export async function findMember(
  organizations: OrganizationsRepository,
  organizationId: string,
  username: string,
): Promise<{ memberId: string; row: MemberRow }> {
  const row = await organizations.member(organizationId, username);
  if (!row) throw new ObjectNotFound(`"${username}" is not a member`);
  return { memberId: row.member_id, row };
}

/** GET /members/{organization}/{username}/. */
export class GetMemberQuery extends Query<MemberResponse> {
  constructor(
    readonly organization: OrganizationAccess,
    readonly member: string,
  ) {
    super();
  }
}

@QueryHandler(GetMemberQuery)
export class GetMemberHandler implements IQueryHandler<GetMemberQuery> {
  constructor(private readonly organizations: OrganizationsRepository) {}

  async execute({ organization, member }: GetMemberQuery): Promise<MemberResponse> {
    return toMemberResponse((await findMember(this.organizations, organization.id, member)).row);
  }
}
