import { Injectable } from '@nestjs/common';
import type { AccountType } from '../accounts/account.entity.js';
import { limitOffsetSql, type PageRequest } from '../common/pagination.js';
import { selectOne, selectRows, SqlRepository } from '../database/sql.js';
import type { ProjectRole } from '../projects/roles/roles.js';
import type { CollaboratorRow } from './dto/collaborator.dto.js';
import { ProjectCollaborator } from './project-collaborator.entity.js';

/**
 * Collaborator rows with everything the object needs, in one statement (aliases: c the collaborator
 * row, a its account). `rest` adds conditions, ordering and paging.
 */
function collaboratorsSql(rest: string): string {
  return `SELECT c.project_id, a.username AS collaborator, c.role::text AS role, cb.username AS created_by, ub.username AS updated_by,
                 c.created_at, c.updated_at
            FROM project_collaborators c
            JOIN accounts a ON a.id = c.collaborator_id
            LEFT JOIN accounts cb ON cb.id = c.created_by_id
            LEFT JOIN accounts ub ON ub.id = c.updated_by_id
           ${rest}`;
}

/** Case-insensitive on the name, then the account id: a stable order for pages. */
const COLLABORATORS_ORDER = 'ORDER BY lower(a.username), a.id';

/** An account that might become a collaborator, as eligibility needs it. */
export interface CandidateAccount {
  id: string;
  username: string;
  type: AccountType;
  team_organization_id: string | null;
}

/** A project's owner account, as eligibility needs it. */
export interface OwnerAccount {
  id: string;
  username: string;
  type: AccountType;
  organization_owner_id: string | null;
}

/**
 * The project_collaborators table: the collaborator object (one statement with the names it shows),
 * the list page and its count, the writes, and the row locks that adding and changing a collaborator
 * rely on (see collaborator-rules.ts for why each is taken).
 */
@Injectable()
export class CollaboratorsRepository extends SqlRepository {
  private get collaborators() {
    return this.db.getRepository(ProjectCollaborator);
  }

  /** The row of one collaborator object, by account name (case-insensitive). */
  findByName(projectId: string, username: string): Promise<CollaboratorRow | undefined> {
    return selectOne<CollaboratorRow>(this.db, collaboratorsSql('WHERE c.project_id = $1 AND lower(a.username) = lower($2)'), [projectId, username]);
  }

  /** A page of the project's collaborators by name, and their number: one statement each. */
  async listPage(projectId: string, page: PageRequest): Promise<{ rows: CollaboratorRow[]; total: number }> {
    const params: unknown[] = [projectId];
    const rows = await selectRows<CollaboratorRow>(
      this.db,
      collaboratorsSql(`WHERE c.project_id = $1 ${COLLABORATORS_ORDER} ${limitOffsetSql(page, params)}`),
      params,
    );
    const [{ count }] = await selectRows<{ count: number }>(this.db, `SELECT count(*)::int AS count FROM project_collaborators WHERE project_id = $1`, [
      projectId,
    ]);
    return { rows, total: count };
  }

  /** The collaborator row of `username` on the project, locked for update; undefined when that account is not a collaborator. */
  lockByName(projectId: string, username: string): Promise<{ id: string; username: string; role: ProjectRole } | undefined> {
    return selectOne(
      this.db,
      `SELECT c.collaborator_id AS id, a.username, c.role::text AS role
         FROM project_collaborators c JOIN accounts a ON a.id = c.collaborator_id
        WHERE c.project_id = $1 AND lower(a.username) = lower($2)
          FOR UPDATE OF c`,
      [projectId, username],
    );
  }

  /** Adds the collaborator; an existing one violates `project_collaborators_pkey`. */
  async insert(projectId: string, collaboratorId: string, role: ProjectRole, byUserId: string): Promise<void> {
    await this.collaborators.insert({ projectId, collaboratorId, role, createdById: byUserId, updatedById: byUserId });
  }

  async updateRole(projectId: string, collaboratorId: string, role: ProjectRole, byUserId: string): Promise<void> {
    await this.collaborators.update({ projectId, collaboratorId }, { role, updatedById: byUserId, updatedAt: () => 'now()' });
  }

  async delete(projectId: string, collaboratorId: string): Promise<void> {
    await this.collaborators.delete({ projectId, collaboratorId });
  }

  /** The account named `username` (case-insensitive), key-share locked so it cannot be deleted before the commit. */
  lockCandidate(username: string): Promise<CandidateAccount | undefined> {
    return selectOne(this.db, `SELECT id, username, type, team_organization_id FROM accounts WHERE lower(username) = lower($1) FOR KEY SHARE`, [username]);
  }

  /** The project's owner account, with the project row share-locked against a concurrent transfer; undefined when the project is gone. */
  lockProjectOwner(projectId: string): Promise<OwnerAccount | undefined> {
    return selectOne(
      this.db,
      `SELECT o.id, o.username, o.type, o.organization_owner_id FROM projects p JOIN accounts o ON o.id = p.owner_id WHERE p.id = $1 FOR SHARE OF p`,
      [projectId],
    );
  }

  /** Whether the account is a member of the organization, the membership row share-locked until the commit. */
  async lockMembership(organizationId: string, accountId: string): Promise<boolean> {
    const member = await selectOne(this.db, `SELECT 1 FROM organization_members WHERE organization_id = $1 AND member_id = $2 FOR SHARE`, [
      organizationId,
      accountId,
    ]);
    return member !== undefined;
  }
}
