import type { Actor } from '../../auth/actor.js';
import { organizationColumns, organizationJoins, toOrganizationResponse, type OrganizationResponse, type OrganizationRow } from '../../organizations/dto/organization.dto.js';
import { AccountType } from '../account.entity.js';
import { PERSON_COLUMNS, STORAGE_USED_SQL, toPersonResponse, type PersonResponse, type PersonRow } from './person.dto.js';

/**
 * GET /users/… answers persons and organizations alike: one SELECT gives the columns of both objects
 * for `a` (the account) as `viewer` (a SQL expression) sees it, and the mapper picks by type.
 */
export const accountSelectSql = (viewer: string) =>
  `SELECT ${PERSON_COLUMNS}, ${STORAGE_USED_SQL} AS storage_used_bytes, ${organizationColumns(viewer)} FROM accounts a ${organizationJoins(viewer)}`;

export function toAccountResponse(row: PersonRow & OrganizationRow, viewer: Actor, defaultQuotaBytes: number): PersonResponse | OrganizationResponse {
  return row.type === AccountType.Organization ? toOrganizationResponse(row, defaultQuotaBytes) : toPersonResponse(row, viewer, defaultQuotaBytes);
}
