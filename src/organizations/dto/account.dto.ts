import { toPersonResponse, type PersonResponse, type PersonRow } from '../../accounts/dto/person.dto.js';
import type { Actor } from '../../common/actor.js';
import { AccountType } from '../../common/account-type.js';
import { toOrganizationResponse, type OrganizationResponse, type OrganizationRow } from './organization.dto.js';

/** GET /users/… answers persons and organizations alike (organizations.sql.ts: userSelectSql); the mapper picks by type. */
export function toAccountResponse(row: PersonRow & OrganizationRow, viewer: Actor, defaultQuotaBytes: number): PersonResponse | OrganizationResponse {
  return row.type === AccountType.Organization ? toOrganizationResponse(row, defaultQuotaBytes) : toPersonResponse(row, viewer, defaultQuotaBytes);
}
