import type { AccountsRepository } from '../accounts/accounts.repository.js';
import { AccountType } from '../common/account-type.js';
import { ValidationFailed } from '../common/errors.js';

export interface ProjectOwner {
  id: string;
  username: string;
  type: AccountType.Person | AccountType.Organization;
  organizationOwnerId: string | null;
}

/** A person or organization that can own projects, by name (case-insensitive); anything else is 400 on `owner`. */
export async function findProjectOwner(accounts: AccountsRepository, username: string): Promise<ProjectOwner> {
  const row = await accounts.findByName(username);
  if (!row || (row.type !== AccountType.Person && row.type !== AccountType.Organization)) {
    throw ValidationFailed.field('owner', `No person or organization named "${username}"`);
  }
  return { id: row.id, username: row.username, type: row.type, organizationOwnerId: row.organization_owner_id };
}
