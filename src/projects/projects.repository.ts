import { Injectable } from '@nestjs/common';
import { EntityManager, Not } from 'typeorm';
import { AccountType } from '../accounts/account.entity.js';
import type { PageRequest } from '../common/pagination.js';
import { preparedQuery } from '../database/prepared.js';
import { execute, selectOne, selectRows, SqlRepository } from '../database/sql.js';
import type { ProjectRow } from './dto/project.dto.js';
import type { ProjectOwner } from './owners.js';
import { listProjectsStatements, listPublicProjectsStatements, listTotal, type ListProjectsCriteria, type ListStatements } from './project-lists.sql.js';
import { PROJECT_AS_SEEN_BY, PROJECT_WITH_DETAILS, ROLE_ON_PROJECT } from './project-one.sql.js';
import { Project } from './project.entity.js';
import type { ProjectRole, RoleOrigin } from './roles/roles.js';

/** The columns of `projects` a PATCH compares and may change, plus the owner's username. */
export interface ProjectForUpdate {
  id: string;
  name: string;
  project_type: string;
  description: string;
  is_public: boolean;
  is_featured: boolean;
  is_attachment_download_on_demand: boolean;
  has_restricted_projectfiles: boolean;
  overwrite_conflicts: boolean;
  file_storage_bytes: string;
  the_qgis_file_name: string | null;
  owner_name: string;
}

/** What POST /projects/ writes; the database fills in the rest. */
export type NewProject = Pick<
  Project,
  | 'ownerId'
  | 'name'
  | 'projectType'
  | 'description'
  | 'isPublic'
  | 'isFeatured'
  | 'isAttachmentDownloadOnDemand'
  | 'hasRestrictedProjectfiles'
  | 'overwriteConflicts'
>;

/**
 * The projects table and everything read with it: the caller's role (the role SQL of roles/), the
 * project object, the two list pages and their counts (project-lists.sql.ts), and the writes and row
 * locks of the project commands. Reads that are hot run as prepared statements on the pool.
 */
@Injectable()
export class ProjectsRepository extends SqlRepository {
  private get projects() {
    return this.db.getRepository(Project);
  }

  /** The caller's {role, origin} on a project (null fields: no role); undefined when there is no such project. */
  async findRole(userId: string, projectId: string): Promise<{ role: ProjectRole | null; origin: RoleOrigin | null } | undefined> {
    const [row] = await this.prepared<{ role: ProjectRole | null; origin: RoleOrigin | null }>(ROLE_ON_PROJECT, [projectId, userId]);
    return row;
  }

  /** The row of the project object as `userId` sees it (null role fields when they have none). */
  async findAsSeenBy(userId: string, projectId: string, options: { details?: boolean } = {}): Promise<ProjectRow | undefined> {
    const [row] = await this.prepared<ProjectRow>(options.details ? PROJECT_WITH_DETAILS : PROJECT_AS_SEEN_BY, [projectId, userId]);
    return row;
  }

  /** A page of GET /projects/ and the total, in one statement (a second only for an empty page past the end). */
  listVisible(userId: string, criteria: ListProjectsCriteria, page: PageRequest): Promise<{ rows: ProjectRow[]; total: number }> {
    return this.runList(listProjectsStatements(userId, criteria, page), page);
  }

  /** A page of GET /projects/public/ and the total, in one statement (a second only for an empty page past the end). */
  listPublic(userId: string, criteria: { search?: string; ordering?: string }, page: PageRequest): Promise<{ rows: ProjectRow[]; total: number }> {
    return this.runList(listPublicProjectsStatements(userId, criteria, page), page);
  }

  /** The stored thumbnail's facts, when the project exists. */
  findThumbnail(projectId: string): Promise<Pick<Project, 'id' | 'thumbnailKey' | 'thumbnailContentType' | 'thumbnailEtag'> | null> {
    return this.projects.findOne({ select: { id: true, thumbnailKey: true, thumbnailContentType: true, thumbnailEtag: true }, where: { id: projectId } });
  }

  findOwnerId(projectId: string): Promise<string | undefined> {
    return selectOne<{ owner_id: string }>(this.db, `SELECT owner_id FROM projects WHERE id = $1`, [projectId]).then((row) => row?.owner_id);
  }

  /** Whether the owner has another project of that name (case-sensitive, as the unique key). */
  hasOtherNamed(ownerId: string, name: string, exceptProjectId: string): Promise<boolean> {
    return this.projects.exists({ where: { ownerId, name, id: Not(exceptProjectId) } });
  }

  /** Inserts the project; a name the owner already has violates `projects_owner_name_key`. Returns its id. */
  async insert(project: NewProject): Promise<string> {
    const { identifiers } = await this.projects.insert(project);
    return identifiers[0].id as string;
  }

  /** Sets the changed columns (column name → value) and moves updated_at; a clashing name violates `projects_owner_name_key`. */
  async update(projectId: string, changes: Record<string, unknown>): Promise<void> {
    const columns = Object.keys(changes);
    await execute(this.db, `UPDATE projects SET ${columns.map((column, i) => `${column} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`, [
      projectId,
      ...columns.map((column) => changes[column]),
    ]);
  }

  async setThumbnail(projectId: string, thumbnail: { key: string; contentType: string; etag: string }): Promise<void> {
    // A person's thumbnail: process_projectfile no longer replaces it (spec §10.4).
    await this.projects.update(
      { id: projectId },
      { thumbnailKey: thumbnail.key, thumbnailContentType: thumbnail.contentType, thumbnailEtag: thumbnail.etag, thumbnailFromJob: false },
    );
  }

  async delete(projectId: string): Promise<void> {
    await this.projects.delete({ id: projectId });
  }

  // ---- what process_projectfile stores (spec §10.4) ----

  /** `details` null: the project is not processed (a failed process_projectfile). */
  async storeProjectDetails(projectId: string, details: object | null): Promise<void> {
    await execute(this.db, `UPDATE projects SET project_details = $2 WHERE id = $1`, [projectId, details === null ? null : JSON.stringify(details)]);
  }

  /** The projects of process_projectfile jobs whose worker vanished are left unprocessed. */
  async forgetProjectDetails(projectIds: string[]): Promise<void> {
    if (projectIds.length) await execute(this.db, `UPDATE projects SET project_details = NULL WHERE id = ANY($1::uuid[])`, [projectIds]);
  }

  /**
   * Makes a job's rendering the project's thumbnail unless a person uploaded the current one.
   * Answers the storage key it replaced (to remove), or null when it stored nothing.
   */
  async setJobThumbnail(projectId: string, key: string, etag: string): Promise<{ stored: boolean; replaced: string | null }> {
    const current = await selectOne<{ thumbnail_key: string | null; thumbnail_from_job: boolean }>(
      this.db,
      `SELECT thumbnail_key, thumbnail_from_job FROM projects WHERE id = $1 FOR UPDATE`,
      [projectId],
    );
    if (!current || (current.thumbnail_key !== null && !current.thumbnail_from_job)) return { stored: false, replaced: null };
    await this.projects.update({ id: projectId }, { thumbnailKey: key, thumbnailContentType: 'image/png', thumbnailEtag: etag, thumbnailFromJob: true });
    return { stored: true, replaced: current.thumbnail_key };
  }

  /** `attachment_dirs` of the last successful processing (spec §8: default DCIM). */
  async attachmentDirs(projectId: string): Promise<string[]> {
    const project = await this.projects.findOne({ select: { id: true, projectDetails: true }, where: { id: projectId } });
    const dirs = project?.projectDetails?.attachment_dirs;
    return Array.isArray(dirs) && dirs.every((d) => typeof d === 'string') ? dirs : ['DCIM'];
  }

  /** The project's overwrite_conflicts (spec §11.3: what its apply jobs do with a conflict); null when it is gone. */
  async overwriteConflicts(projectId: string): Promise<boolean | null> {
    const project = await this.projects.findOne({ select: { id: true, overwriteConflicts: true }, where: { id: projectId } });
    return project ? project.overwriteConflicts : null;
  }

  /** Locks the project row against concurrent changes (nothing when it is gone). */
  async lock(projectId: string): Promise<void> {
    await selectRows(this.db, `SELECT 1 FROM projects WHERE id = $1 FOR UPDATE`, [projectId]);
  }

  /** The project row, locked for update, with its owner's username; undefined when it is gone. */
  lockForUpdate(projectId: string): Promise<ProjectForUpdate | undefined> {
    return selectOne<ProjectForUpdate>(
      this.db,
      `SELECT p.*, o.username AS owner_name FROM projects p JOIN accounts o ON o.id = p.owner_id WHERE p.id = $1 FOR UPDATE OF p`,
      [projectId],
    );
  }

  /** The current thumbnail's key, with the row locked for update; null when the project is gone. */
  lockThumbnail(projectId: string): Promise<Pick<Project, 'id' | 'thumbnailKey'> | null> {
    return this.projects.findOne({ select: { id: true, thumbnailKey: true }, where: { id: projectId }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Key-share locks the owner account until the commit, so it cannot be deleted under a project
   * insert; false when it is gone already.
   */
  async keyShareLockOwner(ownerId: string): Promise<boolean> {
    return (await selectOne(this.db, `SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE`, [ownerId])) !== undefined;
  }

  /** The storage keys of everything stored for the project: every version of every file, the thumbnail, the packages. */
  async storedKeys(projectId: string): Promise<string[]> {
    const rows = await selectRows<{ storage_key: string }>(
      this.db,
      `SELECT v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1
         UNION ALL SELECT thumbnail_key FROM projects WHERE id = $1 AND thumbnail_key IS NOT NULL
         UNION ALL SELECT storage_key FROM package_files WHERE project_id = $1`,
      [projectId],
    );
    return rows.map((row) => row.storage_key);
  }

  /** A creator gets no role from membership alone: the project they create names them its admin. */
  async addCreatorAsAdmin(projectId: string, userId: string): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO project_collaborators (project_id, collaborator_id, role, created_by_id, updated_by_id) VALUES ($1, $2, 'admin', $2, $2)`,
      [projectId, userId],
    );
  }

  /**
   * After a transfer: collaborators no longer eligible under the new owner (spec §6.3) go, and so does
   * a collaborator row of the new owner themself. On a person's project teams cannot collaborate; on an
   * organization's project persons must be its owner or members, and teams must be its own.
   */
  async removeIneligibleCollaborators(projectId: string, owner: ProjectOwner): Promise<void> {
    if (owner.type === AccountType.Person) {
      await execute(
        this.db,
        `DELETE FROM project_collaborators c USING accounts a
          WHERE c.project_id = $1 AND a.id = c.collaborator_id AND (c.collaborator_id = $2 OR a.type = ${AccountType.Team})`,
        [projectId, owner.id],
      );
      return;
    }
    await execute(
      this.db,
      `DELETE FROM project_collaborators c USING accounts a
        WHERE c.project_id = $1 AND a.id = c.collaborator_id
          AND (c.collaborator_id = $2
               OR (a.type = ${AccountType.Person} AND a.id <> $3
                   AND NOT EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = $2 AND m.member_id = a.id))
               OR (a.type = ${AccountType.Team} AND a.team_organization_id <> $2))`,
      [projectId, owner.id, owner.organizationOwnerId],
    );
  }

  /**
   * Folds the count deltas of each owner that has more than one row and a row newer than `after` into
   * one row (the deltas' sum; none when it is zero), in one statement, skipping rows a concurrent
   * compaction holds. Answers the newest row id it saw, the next call's `after`. A row older than that
   * whose transaction commits later is folded with its owner's next change: counts are right anyway.
   */
  async compactOwnerCounts(after: string): Promise<{ newest: string; owners: number }> {
    const [{ newest }] = await selectRows<{ newest: string }>(this.db, `SELECT coalesce(max(id), 0)::text AS newest FROM owner_project_counts`);
    const folded = await selectRows<{ owner_id: string }>(
      this.db,
      `WITH owners AS (
         SELECT owner_id FROM owner_project_counts
          WHERE owner_id IN (SELECT owner_id FROM owner_project_counts WHERE id > $1)
          GROUP BY owner_id HAVING count(*) > 1),
       moved AS (
         DELETE FROM owner_project_counts WHERE id IN (
           SELECT id FROM owner_project_counts WHERE owner_id IN (SELECT owner_id FROM owners) FOR UPDATE SKIP LOCKED)
         RETURNING owner_id, projects, public_projects)
       INSERT INTO owner_project_counts (owner_id, projects, public_projects)
       SELECT owner_id, sum(projects), sum(public_projects) FROM moved GROUP BY owner_id
       HAVING sum(projects) <> 0 OR sum(public_projects) <> 0
       RETURNING owner_id`,
      [after],
    );
    return { newest, owners: folded.length };
  }

  private async runList(statements: ListStatements, page: PageRequest): Promise<{ rows: ProjectRow[]; total: number }> {
    const rows = await this.prepared<ProjectRow & { total_count: number }>(statements.page.sql, statements.page.params);
    const total = listTotal(rows, page) ?? (await this.prepared<{ count: number }>(statements.count.sql, statements.count.params))[0].count;
    return { rows, total };
  }

  /**
   * A hot read as a prepared statement on the pool (see prepared.ts); inside a transaction it runs
   * there instead, so a command reads what it has just written.
   */
  private prepared<T>(text: string, params: unknown[]): Promise<T[]> {
    return this.db instanceof EntityManager ? selectRows<T>(this.db, text, params) : preparedQuery<T>(this.db, text, params);
  }
}
