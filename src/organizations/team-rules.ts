import { nameCharactersProblem } from '../accounts/account-rules.js';
import { ObjectNotFound, ValidationFailed } from '../common/errors.js';
import type { OrganizationAccess, OrganizationsRepository } from './organizations.repository.js';

/** A team's short name follows the character rules of account names (spec §4); reserved words are fine under `@org/`. */
export function assertTeamName(team: string): void {
  const problem = nameCharactersProblem(team);
  if (problem) throw ValidationFailed.field('team', problem);
}

/** The team account of an organization by short name (case-insensitive); 404 when there is none. */
export async function findTeam(organizations: OrganizationsRepository, organization: OrganizationAccess, team: string): Promise<{ id: string; team: string }> {
  const row = await organizations.team(organization, team);
  if (!row) throw new ObjectNotFound(`No team "${team}" in ${organization.username}`);
  return row;
}
