import type { EntityManager } from 'typeorm';
import { AccountType } from '../accounts/account.entity.js';
import { ValidationFailed } from '../common/errors.js';

export interface ProjectOwner {
  id: string;
  username: string;
  type: AccountType.Person | AccountType.Organization;
  organizationOwnerId: string | null;
}

/** A person or organization that can own projects, by name (case-insensitive); anything else is 400 on `owner`. */
export async function findProjectOwner(db: EntityManager, username: string): Promise<ProjectOwner> {
  const [row] = await db.query(`SELECT id, username, type, organization_owner_id FROM accounts WHERE lower(username) = lower($1)`, [username]);
  if (!row || (row.type !== AccountType.Person && row.type !== AccountType.Organization)) {
    throw ValidationFailed.field('owner', `No person or organization named "${username}"`);
  }
  return { id: row.id, username: row.username, type: row.type, organizationOwnerId: row.organization_owner_id };
}

/** The caller's standing in an organization: 'owner', a membership role, or null for outsiders. */
export async function organizationStanding(db: EntityManager, organization: ProjectOwner, userId: string): Promise<'owner' | 'admin' | 'creator' | 'member' | null> {
  if (organization.organizationOwnerId === userId) return 'owner';
  const [row] = await db.query(`SELECT role FROM organization_members WHERE organization_id = $1 AND member_id = $2`, [organization.id, userId]);
  return row?.role ?? null;
}
