import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** A file of a stored package. */
export interface PackageFileRow {
  name: string;
  size: string | number;
  md5: string;
  sha256: string;
  storage_key: string;
  created_at: Date;
}

/** The newest successful package job of a project (spec §12 latest/). */
export interface LatestPackage {
  job_id: string;
  status: string;
  feedback: { outputs?: { qgis_layers_data?: { layers_by_id?: Record<string, unknown> } } } | null;
  data_last_packaged_at: Date | null;
  data_last_updated_at: Date | null;
}

/** How long the previous package stays after a newer one succeeded (downloads in progress). */
const KEEP_PREVIOUS = `interval '1 hour'`;

/** package_files, and the package columns of projects. Methods that take `db` run in the caller's transaction. */
@Injectable()
export class PackagesRepository {
  constructor(private readonly db: DataSource) {}

  async latest(projectId: string): Promise<LatestPackage | null> {
    const [row] = await this.db.query(
      `SELECT j.id AS job_id, j.status, j.feedback, p.data_last_packaged_at, p.data_last_updated_at
         FROM jobs j JOIN projects p ON p.id = j.project_id
        WHERE j.project_id = $1 AND j.type = 'package' AND j.status = 'finished'
        ORDER BY j.finished_at DESC, j.created_at DESC LIMIT 1`,
      [projectId],
    );
    return row ?? null;
  }

  async files(jobId: string): Promise<PackageFileRow[]> {
    return this.db.query(`SELECT name, size, md5, sha256, storage_key, created_at FROM package_files WHERE job_id = $1 ORDER BY name`, [jobId]);
  }

  async file(jobId: string, name: string): Promise<PackageFileRow | null> {
    const [row] = await this.db.query(`SELECT name, size, md5, sha256, storage_key, created_at FROM package_files WHERE job_id = $1 AND name = $2`, [
      jobId,
      name,
    ]);
    return row ?? null;
  }

  /** The newest version of each project file under one of `dirs` (attachments are served from the project files). */
  async attachments(projectId: string, dirs: string[]): Promise<(PackageFileRow & { last_modified: Date })[]> {
    if (dirs.length === 0) return [];
    return this.db.query(
      `SELECT DISTINCT ON (f.name) f.name, v.size, coalesce(v.etag, v.md5) AS md5, v.sha256, v.storage_key, v.created_at, v.created_at AS last_modified
         FROM project_files f JOIN file_versions v ON v.file_id = f.id
        WHERE f.project_id = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) d WHERE starts_with(f.name, rtrim(d, '/') || '/'))
        ORDER BY f.name, v.created_at DESC, v.id DESC`,
      [projectId, dirs],
    );
  }

  /**
   * Records a succeeded package job's files and the project's data_last_packaged_at (the job's
   * started_at: the data it read). Earlier packages are superseded: the one just before is kept an
   * hour, older ones are dropped now. Answers the storage keys of the dropped files.
   */
  async storeSucceeded(
    db: EntityManager,
    jobId: string,
    projectId: string,
    files: { name: string; size: number; md5: string; sha256: string; key: string }[],
  ): Promise<string[]> {
    if (files.length) {
      await db.query(
        `INSERT INTO package_files (job_id, project_id, name, size, md5, sha256, storage_key)
         SELECT $1, $2, f.name, f.size, f.md5, f.sha256, f.key FROM jsonb_to_recordset($3::jsonb) AS f(name text, size bigint, md5 text, sha256 text, key text)`,
        [jobId, projectId, JSON.stringify(files)],
      );
    }
    await db.query(`UPDATE projects SET data_last_packaged_at = (SELECT started_at FROM jobs WHERE id = $2) WHERE id = $1`, [projectId, jobId]);
    // A DELETE … RETURNING answers [rows, count] through TypeORM's PostgreSQL driver.
    const [dropped]: [{ storage_key: string }[], number] = await db.query(
      `DELETE FROM package_files WHERE project_id = $1 AND job_id <> $2 AND superseded_at IS NOT NULL RETURNING storage_key`,
      [projectId, jobId],
    );
    await db.query(`UPDATE package_files SET superseded_at = now() WHERE project_id = $1 AND job_id <> $2 AND superseded_at IS NULL`, [projectId, jobId]);
    return dropped.map((row) => row.storage_key);
  }

  /** Drops the packages superseded over an hour ago; answers their storage keys. */
  async dropExpired(db: EntityManager): Promise<string[]> {
    const [rows]: [{ storage_key: string }[], number] = await db.query(
      `DELETE FROM package_files WHERE superseded_at < now() - ${KEEP_PREVIOUS} RETURNING storage_key`,
    );
    return rows.map((row) => row.storage_key);
  }
}
