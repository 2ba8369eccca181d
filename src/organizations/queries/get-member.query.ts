import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { ObjectNotFound } from '../../common/errors.js';
import { MEMBER_COLUMNS, MEMBER_FROM, toMemberResponse, type MemberResponse, type MemberRow } from '../dto/member.dto.js';
import type { OrganizationAccess } from '../organization-access.guard.js';

/** A member row by username (case-insensitive); 404 when that person is not a member. */
export async function findMember(db: DataSource | EntityManager, organizationId: string, username: string): Promise<{ memberId: string; row: MemberRow }> {
  const [row] = await db.query(
    `SELECT m.member_id, ${MEMBER_COLUMNS} FROM ${MEMBER_FROM} WHERE m.organization_id = $1 AND lower(u.username) = lower($2)`,
    [organizationId, username],
  );
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
  constructor(private readonly db: DataSource) {}

  async execute({ organization, member }: GetMemberQuery): Promise<MemberResponse> {
    return toMemberResponse((await findMember(this.db, organization.id, member)).row);
  }
}
