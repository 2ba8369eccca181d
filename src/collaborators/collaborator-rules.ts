import { AccountType } from '../accounts/account.entity.js';
import { ObjectNotFound, PermissionDenied, ValidationFailed } from '../common/errors.js';
import { PROJECT_ROLES, type ProjectRole } from '../projects/roles/roles.js';
import type { CollaboratorsRepository } from './collaborators.repository.js';

const rank = (role: ProjectRole) => PROJECT_ROLES.indexOf(role);

/**
 * Spec §6.3: a manager cannot grant `admin`. Stated generally: nobody grants a role above their own
 * (only admins and managers get this far, so that is exactly the manager rule).
 */
export function assertMayGrant(callerRole: ProjectRole | null, role: ProjectRole): void {
  if (callerRole === null || rank(role) < rank(callerRole))
    throw new PermissionDenied(`A ${callerRole ?? 'caller without a role'} cannot grant the role ${role}`);
}

/** Spec §6.3: a manager cannot change or remove an admin collaborator (nobody touches a role above their own). */
export function assertMayChange(callerRole: ProjectRole | null, currentRole: ProjectRole): void {
  if (callerRole === null || rank(currentRole) < rank(callerRole)) {
    throw new PermissionDenied(`A ${callerRole ?? 'caller without a role'} cannot change or remove a collaborator with the role ${currentRole}`);
  }
}

/**
 * Who may collaborate on a project (spec §6.3), as 400 `validation_error` on `collaborator` otherwise:
 * an existing person or team, not an organization, not the owner; on a person's project persons only;
 * on an organization's project its owner or members, and its own teams. Returns the account.
 *
 * Runs in the adding transaction, and locks what it relies on until the row is committed: the project
 * row (share), so a concurrent transfer, which locks it for update and then drops the collaborators the
 * new owner does not allow, runs wholly before or after; the account row (key share), so it cannot be
 * deleted in between (which would turn the insert into a foreign-key failure); and the membership row
 * (share), so a member cannot be removed before the new collaborator row exists for the removal to
 * take along.
 */
export async function eligibleCollaborator(
  collaborators: CollaboratorsRepository,
  projectId: string,
  username: string,
): Promise<{ id: string; username: string }> {
  // Accounts before projects, as everywhere (a transfer locks its target account, then the project).
  const account = await collaborators.lockCandidate(username);
  const owner = await collaborators.lockProjectOwner(projectId);
  if (!owner) throw new ObjectNotFound('No such project');
  const refuse = (message: string) => ValidationFailed.field('collaborator', message);

  if (!account) throw refuse(`No user or team named "${username}"`);
  if (account.type === AccountType.Organization) throw refuse('An organization cannot be a collaborator');
  if (account.id === owner.id) throw refuse('The project owner cannot be a collaborator');
  if (owner.type === AccountType.Person) {
    if (account.type === AccountType.Team) throw refuse(`Teams can collaborate only on projects of their organization; ${owner.username} is a person`);
  } else if (account.type === AccountType.Team) {
    if (account.team_organization_id !== owner.id) throw refuse(`${account.username} is not a team of the organization ${owner.username}`);
  } else if (account.id !== owner.organization_owner_id) {
    if (!(await collaborators.lockMembership(owner.id, account.id)))
      throw refuse(`${account.username} is neither the owner nor a member of the organization ${owner.username}`);
  }
  return { id: account.id, username: account.username };
}

/** The collaborator row of `username` on the project, locked for a change; 404 when that account is not a collaborator. */
export async function lockCollaborator(
  collaborators: CollaboratorsRepository,
  projectId: string,
  username: string,
): Promise<{ id: string; username: string; role: ProjectRole }> {
  const row = await collaborators.lockByName(projectId, username);
  if (!row) throw notACollaborator(username);
  return row;
}

export const notACollaborator = (username: string) => new ObjectNotFound(`"${username}" is not a collaborator of this project`);
