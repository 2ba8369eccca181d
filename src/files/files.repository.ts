import { Injectable } from '@nestjs/common';
import { Account } from '../accounts/account.entity.js';
import { ObjectNotFound } from '../common/errors.js';
import { limitOffsetSql, type PageRequest } from '../common/pagination.js';
import { execute, selectOne, selectRows, SqlRepository } from '../database/sql.js';
import type { ProjectFileRow } from './dto/project-file.dto.js';
import { FileVersion } from './file-version.entity.js';
import { ProjectFile } from './project-file.entity.js';
import type { StreamedUpload } from './upload-stream.js';

/**
 * Files of project `$1` with their versions aggregated, one statement; `where` filters `f`. `md5sum` is
 * the S3-style ETag (s3-etag.ts); a large version stored before it existed shows its plain md5 until
 * FileEtagBackfill reaches it.
 */
function projectFilesSql(where: string, rest = ''): string {
  return `
    SELECT f.name, v.versions
      FROM project_files f
      CROSS JOIN LATERAL (
        SELECT json_agg(json_build_object('version_id', v.id, 'size', v.size, 'md5sum', coalesce(v.etag, v.md5), 'sha256', v.sha256, 'last_modified', v.created_at)
                        ORDER BY v.created_at DESC, v.id DESC) AS versions
          FROM file_versions v WHERE v.file_id = f.id
      ) v
     WHERE f.project_id = $1 AND (${where}) ${rest}`;
}

/** What uploads and deletes read of the project, with its row locked. */
export interface ProjectForFiles {
  id: string;
  owner_id: string;
  project_type: string;
  the_qgis_file_name: string | null;
  has_restricted_projectfiles: boolean;
}

/**
 * The project_files and file_versions tables: the file object (one statement with every version),
 * the list page and its count, the version to download, the writes of uploads and deletes, and the
 * project's file accounting (file_storage_bytes, the_qgis_file_name, the data timestamps), which is
 * derived from these rows and so written here, in the same transaction as they are.
 */
@Injectable()
export class FilesRepository extends SqlRepository {
  private get files() {
    return this.db.getRepository(ProjectFile);
  }

  private get versions() {
    return this.db.getRepository(FileVersion);
  }

  /** A page of the project's files by name, each with its versions, and their number: one statement each. */
  async listPage(projectId: string, page: PageRequest): Promise<{ rows: ProjectFileRow[]; total: number }> {
    const params: unknown[] = [projectId];
    const rows = await selectRows<ProjectFileRow>(this.db, projectFilesSql('true', `ORDER BY f.name, f.id ${limitOffsetSql(page, params)}`), params);
    const [{ count }] = await selectRows<{ count: number }>(this.db, `SELECT count(*)::int AS count FROM project_files WHERE project_id = $1`, [projectId]);
    return { rows, total: count };
  }

  /** One file with its versions, newest first. */
  findWithVersions(projectId: string, path: string): Promise<ProjectFileRow | undefined> {
    return selectOne<ProjectFileRow>(this.db, projectFilesSql('f.name = $2'), [projectId, path]);
  }

  /** The newest version of the file at `path`, or the version `versionId` of it. */
  findVersion(projectId: string, path: string, versionId: string | null): Promise<{ storage_key: string; size: string; etag: string } | undefined> {
    return selectOne(
      this.db,
      `SELECT v.storage_key, v.size, coalesce(v.etag, v.md5) AS etag FROM project_files f JOIN file_versions v ON v.file_id = f.id
        WHERE f.project_id = $1 AND f.name = $2 AND ($3::uuid IS NULL OR v.id = $3::uuid)
        ORDER BY v.created_at DESC, v.id DESC LIMIT 1`,
      [projectId, path, versionId],
    );
  }

  /** The newest version of every file of the project: what a job's folder holds. */
  newestFiles(projectId: string): Promise<{ name: string; storage_key: string; sha256: string }[]> {
    return selectRows(
      this.db,
      `SELECT f.name, v.storage_key, v.sha256 FROM project_files f
         CROSS JOIN LATERAL (SELECT storage_key, sha256 FROM file_versions WHERE file_id = f.id ORDER BY created_at DESC, id DESC LIMIT 1) v
        WHERE f.project_id = $1 ORDER BY f.name`,
      [projectId],
    );
  }

  /** The id of the file at `path`, if there is one. */
  async findFileId(projectId: string, path: string): Promise<string | undefined> {
    const file = await this.files.findOne({ select: { id: true }, where: { projectId, name: path } });
    return file?.id;
  }

  /**
   * Locks the project's owner account, then the project row (accounts before projects, everywhere), so
   * uploads and transfers into one account are serialised and its quota cannot be overrun by a race.
   * Retries when a transfer moved the project between the two reads.
   */
  async lockProjectAndOwner(projectId: string): Promise<ProjectForFiles> {
    for (;;) {
      // The guard saw the project, but a delete may have committed since (while the upload streamed).
      const current = await selectOne<{ owner_id: string }>(this.db, `SELECT owner_id FROM projects WHERE id = $1`, [projectId]);
      if (!current) throw new ObjectNotFound('No such project');
      await selectRows(this.db, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [current.owner_id]);
      const project = await selectOne<ProjectForFiles>(
        this.db,
        `SELECT id, owner_id, project_type, the_qgis_file_name, has_restricted_projectfiles FROM projects WHERE id = $1 FOR UPDATE`,
        [projectId],
      );
      if (!project) throw new ObjectNotFound('No such project');
      if (project.owner_id === current.owner_id) return project;
    }
  }

  /** The username of an account (the owner named in a 402). */
  async username(accountId: string): Promise<string | undefined> {
    const account = await this.db.getRepository(Account).findOne({ select: { id: true, username: true }, where: { id: accountId } });
    return account?.username;
  }

  /** The file at `path`, created when new; its id. */
  async upsertFile(projectId: string, path: string): Promise<string> {
    const { rows } = await execute<{ id: string }>(
      this.db,
      `INSERT INTO project_files (project_id, name) VALUES ($1, $2)
           ON CONFLICT (project_id, name) DO UPDATE SET name = excluded.name RETURNING id`,
      [projectId, path],
    );
    return rows[0].id;
  }

  async insertVersion(
    version: Pick<FileVersion, 'fileId' | 'storageKey' | 'size' | 'md5' | 'sha256' | 'etag' | 'qgisVersion' | 'uploadedById'>,
  ): Promise<void> {
    await this.versions.insert(version);
  }

  /** Removes the file's versions beyond the newest `keep`; their storage keys. */
  async pruneVersions(fileId: string, keep: number): Promise<string[]> {
    const { rows } = await execute<{ storage_key: string }>(
      this.db,
      `DELETE FROM file_versions WHERE id IN (
             SELECT id FROM file_versions WHERE file_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2)
           RETURNING storage_key`,
      [fileId, keep],
    );
    return rows.map((row) => row.storage_key);
  }

  /** Removes one version of the file, and the file when that was its last; the version's storage key, undefined when it is not one of the file's. */
  async deleteVersion(fileId: string, versionId: string): Promise<string | undefined> {
    const { rows } = await execute<{ storage_key: string }>(this.db, `DELETE FROM file_versions WHERE id = $1 AND file_id = $2 RETURNING storage_key`, [
      versionId,
      fileId,
    ]);
    if (rows.length === 0) return undefined;
    await execute(this.db, `DELETE FROM project_files f WHERE f.id = $1 AND NOT EXISTS (SELECT 1 FROM file_versions v WHERE v.file_id = f.id)`, [fileId]);
    return rows[0].storage_key;
  }

  /** Removes the file with all its versions; their storage keys. */
  async deleteFile(fileId: string): Promise<string[]> {
    const versions = await this.versions.find({ select: { id: true, storageKey: true }, where: { fileId } });
    await this.files.delete({ id: fileId });
    return versions.map((version) => version.storageKey);
  }

  /**
   * New versions written by a job (a delta_apply's changed data files), recorded like uploads but with
   * no uploader: the quota does not refuse them and no process_projectfile is queued (spec §11.3).
   * Prunes each file to the newest `keep` versions and refreshes the project's accounting; answers the
   * pruned storage keys. Runs in the caller's transaction, which holds lockProjectAndOwner.
   */
  async addJobVersions(projectId: string, versions: { path: string; upload: StreamedUpload; restricted: boolean }[], keep: number): Promise<string[]> {
    const pruned: string[] = [];
    for (const { path, upload } of versions) {
      const fileId = await this.upsertFile(projectId, path);
      const { key: storageKey, size, md5, sha256, etag } = upload;
      await this.insertVersion({ fileId, storageKey, size: String(size), md5, sha256, etag, qgisVersion: null, uploadedById: null });
      pruned.push(...(await this.pruneVersions(fileId, keep)));
    }
    await this.refreshAccounting(
      projectId,
      versions.some((version) => version.restricted),
    );
    return pruned;
  }

  /** The project's data changed without a new file version (spec §11.3: a delta applied that changed no bytes). */
  async markDataUpdated(projectId: string): Promise<void> {
    await execute(this.db, `UPDATE projects SET data_last_updated_at = now() WHERE id = $1`, [projectId]);
  }

  // --- the S3-style ETag of versions stored before it existed (FileEtagBackfill) ------------------

  /** Versions up to `maxBytes` without an ETag get their md5, which is their ETag (one part). */
  async setEtagToMd5UpTo(maxBytes: number): Promise<void> {
    await execute(this.db, `UPDATE file_versions SET etag = md5 WHERE etag IS NULL AND size <= $1`, [maxBytes]);
  }

  /** Up to `limit` versions over `minBytes` without an ETag, in id order after `afterId`. */
  versionsWithoutEtag(afterId: string, minBytes: number, limit: number): Promise<{ id: string; storage_key: string }[]> {
    return selectRows(this.db, `SELECT id, storage_key FROM file_versions WHERE etag IS NULL AND size > $2 AND id > $1 ORDER BY id LIMIT $3`, [
      afterId,
      minBytes,
      limit,
    ]);
  }

  /** Stores a version's computed ETag, unless another instance got there first. */
  async setEtag(versionId: string, etag: string): Promise<void> {
    await execute(this.db, `UPDATE file_versions SET etag = $2 WHERE id = $1 AND etag IS NULL`, [versionId, etag]);
  }

  /**
   * After an upload or delete, in the same transaction as the file rows (spec §8): the project's
   * file_storage_bytes (every stored version), the_qgis_file_name and its newest version's qgis_version,
   * data_last_updated_at and, for restricted files, restricted_data_last_updated_at. One statement,
   * recomputed from the rows.
   */
  async refreshAccounting(projectId: string, restricted: boolean): Promise<void> {
    await execute(
      this.db,
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
}
