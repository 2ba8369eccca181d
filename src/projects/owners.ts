import type { EntityManager } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { AccountType } from '../common/account-type.js';
import { ValidationFailed } from '../common/errors.js';
import type { Standing } from '../common/roles.js';
import { OrganizationsRepository } from '../organizations/organizations.repository.js';

export interface ProjectOwner {
  id: string;
  username: string;
  type: AccountType.Person | AccountType.Organization;
  organizationOwnerId: string | null;
}

/** A person or organization that can own projects, by name (case-insensitive); anything else is 400 on `owner`. */
export async function findProjectOwner(db: EntityManager, username: string): Promise<ProjectOwner> {
  const row = await new AccountsRepository(db).findByName(username);
  if (!row || (row.type !== AccountType.Person && row.type !== AccountType.Organization)) {
    throw ValidationFailed.field('owner', `No person or organization named "${username}"`);
  }
  return { id: row.id, username: row.username, type: row.type, organizationOwnerId: row.organization_owner_id };
}

/** The caller's standing in an organization: 'owner', a membership role, or null for outsiders (organizations computes it). */
export function organizationStanding(db: EntityManager, organization: ProjectOwner, userId: string): Promise<Standing> {
  return new OrganizationsRepository(db).standing(organization.id, userId);
}
