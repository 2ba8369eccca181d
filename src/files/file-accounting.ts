import type { EntityManager } from 'typeorm';
import { ObjectNotFound } from '../common/errors.js';

/**
 * After an upload or delete, in the same transaction as the file rows (spec §8): the project's
 * file_storage_bytes (every stored version), the_qgis_file_name and its newest version's qgis_version,
 * data_last_updated_at and, for restricted files, restricted_data_last_updated_at. One statement,
 * recomputed from the rows.
 */
export async function refreshProjectFiles(db: EntityManager, projectId: string, restricted: boolean): Promise<void> {
  await db.query(
    `UPDATE projects p SET
       file_storage_bytes = (SELECT coalesce(sum(v.size), 0) FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = p.id),
       (the_qgis_file_name, qgis_version) = (
         SELECT f.name, v.qgis_version FROM project_files f JOIN file_versions v ON v.file_id = f.id
          WHERE f.project_id = p.id AND f.name ~* '\\.(qgs|qgz)$'
          ORDER BY f.created_at, v.created_at DESC, v.id DESC LIMIT 1),
       data_last_updated_at = now(),
       restricted_data_last_updated_at = CASE WHEN $2 THEN now() ELSE p.restricted_data_last_updated_at END
     WHERE p.id = $1`,
    [projectId, restricted],
  );
}

/**
 * Locks the project's owner account, then the project row (accounts before projects, everywhere), so
 * uploads and transfers into one account are serialised and its quota cannot be overrun by a race.
 * Retries when a transfer moved the project between the two reads.
 */
export async function lockProjectAndOwner(db: EntityManager, projectId: string): Promise<ProjectForFiles> {
  for (;;) {
    // The guard saw the project, but a delete may have committed since (while the upload streamed).
    const [current] = await db.query(`SELECT owner_id FROM projects WHERE id = $1`, [projectId]);
    if (!current) throw new ObjectNotFound('No such project');
    await db.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [current.owner_id]);
    const [project] = await db.query(
      `SELECT id, owner_id, project_type, the_qgis_file_name, has_restricted_projectfiles FROM projects WHERE id = $1 FOR UPDATE`,
      [projectId],
    );
    if (!project) throw new ObjectNotFound('No such project');
    if (project.owner_id === current.owner_id) return project;
  }
}

export interface ProjectForFiles {
  id: string;
  owner_id: string;
  project_type: string;
  the_qgis_file_name: string | null;
  has_restricted_projectfiles: boolean;
}
