import type { DataSource, EntityManager } from 'typeorm';
import { nameCharactersProblem } from '../accounts/account-rules.js';
import { ObjectNotFound, ValidationFailed } from '../common/errors.js';
import { teamAccountName } from './dto/member.dto.js';
import type { OrganizationAccess } from './organization-access.guard.js';

/** A team's short name follows the character rules of account names (spec §4); reserved words are fine under `@org/`. */
export function assertTeamName(team: string): void {
  const problem = nameCharactersProblem(team);
  if (problem) throw ValidationFailed.field('team', problem);
}

/** The team account of an organization by short name (case-insensitive); 404 when there is none. */
export async function findTeam(db: DataSource | EntityManager, organization: OrganizationAccess, team: string): Promise<{ id: string; team: string }> {
  const [row] = await db.query(
    `SELECT id, substring(username FROM $3::int) AS team FROM accounts WHERE team_organization_id = $1 AND lower(username) = lower($2)`,
    [organization.id, teamAccountName(organization.username, team), organization.username.length + 3],
  );
  if (!row) throw new ObjectNotFound(`No team "${team}" in ${organization.username}`);
  return row;
}
