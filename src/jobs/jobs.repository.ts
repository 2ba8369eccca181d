import os from 'node:os';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PageRequest } from '../common/pagination.js';
import { limitOffsetSql } from '../common/pagination.js';
import { isUniqueViolation } from '../database/sql.js';
import { Job, type JobFeedback, type JobStatus, type JobType } from './job.entity.js';

/** A job as the API shows it: the row with its creator's username. */
export interface JobRow {
  id: string;
  project_id: string;
  type: JobType;
  status: JobStatus;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  feedback: JobFeedback | null;
  output: string | null;
}

/** What POST /jobs/ checks on the project (spec §10.2). */
export interface ProjectForJobs {
  id: string;
  owner_id: string;
  owner: string;
  project_type: 'regular' | 'template' | 'shared_datasets';
  the_qgis_file_name: string | null;
}

/** A job a worker has claimed, with what it needs to run it. */
export interface ClaimedJob {
  id: string;
  project_id: string;
  type: JobType;
  the_qgis_file_name: string | null;
}

export type WorkerState = 'ok' | 'missing_qgis' | 'off';

const JOB_COLUMNS = `j.id, j.project_id, j.type, j.status, a.username AS created_by, j.created_at, j.updated_at, j.started_at, j.finished_at`;
const ACTIVE = `('pending', 'queued', 'started')`;

/**
 * The jobs module's tables: jobs (the queue of spec §10.3), workers (heartbeats for /status/), and the
 * columns process_projectfile writes on projects. Methods that take `db` run in the caller's
 * transaction.
 */
@Injectable()
export class JobsRepository {
  constructor(private readonly db: DataSource) {}

  /** A project's jobs, oldest first, and their number. */
  async list(projectId: string, type: JobType | null, page: PageRequest): Promise<{ rows: JobRow[]; total: number }> {
    const params: unknown[] = [projectId, type];
    const where = `j.project_id = $1 AND ($2::text IS NULL OR j.type = $2)`;
    const rows: JobRow[] = await this.db.query(
      `SELECT ${JOB_COLUMNS} FROM jobs j LEFT JOIN accounts a ON a.id = j.created_by_id
        WHERE ${where} ORDER BY j.created_at, j.id ${limitOffsetSql(page, params)}`,
      params,
    );
    const [{ count }] = await this.db.query(`SELECT count(*)::int AS count FROM jobs j WHERE ${where}`, [projectId, type]);
    return { rows, total: count };
  }

  async get(jobId: string, db: EntityManager = this.db.manager): Promise<JobRow | null> {
    const [row] = await db.query(`SELECT ${JOB_COLUMNS}, j.feedback, j.output FROM jobs j LEFT JOIN accounts a ON a.id = j.created_by_id WHERE j.id = $1`, [
      jobId,
    ]);
    return row ?? null;
  }

  /** The project, locked until the transaction ends, so two creates of one project are serialised (package dedup). */
  async lockProject(db: EntityManager, projectId: string): Promise<ProjectForJobs | null> {
    const [row] = await db.query(
      `SELECT p.id, p.owner_id, o.username AS owner, p.project_type, p.the_qgis_file_name
         FROM projects p JOIN accounts o ON o.id = p.owner_id WHERE p.id = $1 FOR UPDATE OF p`,
      [projectId],
    );
    return row ?? null;
  }

  /** The project's oldest pending, queued or started job of `type`, if any. */
  async activeJob(db: EntityManager, projectId: string, type: JobType): Promise<JobRow | null> {
    const [row] = await db.query(
      `SELECT j.id FROM jobs j WHERE j.project_id = $1 AND j.type = $2 AND j.status IN ${ACTIVE} ORDER BY j.created_at, j.id LIMIT 1`,
      [projectId, type],
    );
    return row ? this.get(row.id, db) : null;
  }

  async create(db: EntityManager, job: { projectId: string; type: JobType; createdById: string | null }): Promise<JobRow> {
    const inserted = await db.getRepository(Job).insert({ projectId: job.projectId, type: job.type, createdById: job.createdById });
    return (await this.get(inserted.identifiers[0].id, db))!;
  }

  /**
   * Spec §8: an upload queues a process_projectfile job of a project that has a QGIS file, unless
   * one created by the same person is still pending. The upload holds the project's row lock, so two
   * uploads of one person cannot both insert.
   */
  async queueProcessing(db: EntityManager, projectId: string, personId: string): Promise<void> {
    await db.query(
      `INSERT INTO jobs (project_id, type, created_by_id)
       SELECT p.id, 'process_projectfile', $2 FROM projects p
        WHERE p.id = $1 AND p.the_qgis_file_name IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.project_id = p.id AND j.type = 'process_projectfile' AND j.status = 'pending' AND j.created_by_id = $2)`,
      [projectId, personId],
    );
  }

  /** `attachment_dirs` of the last successful processing (spec §8: default DCIM). */
  async attachmentDirs(db: EntityManager, projectId: string): Promise<string[]> {
    const [row] = await db.query(`SELECT project_details->'attachment_dirs' AS dirs FROM projects WHERE id = $1`, [projectId]);
    const dirs = row?.dirs;
    return Array.isArray(dirs) && dirs.every((d) => typeof d === 'string') ? dirs : ['DCIM'];
  }

  // ---- the queue (spec §10.3) ----

  /**
   * Claims the oldest pending job whose project has no queued or started job and no older pending
   * one (one job per project, in creation order). SKIP LOCKED: concurrent workers never take the same
   * row; the unique index jobs_one_running_per_project settles the rare race between two jobs of one
   * project (the loser answers null and polls again).
   */
  async claim(workerId: string, leaseSeconds: number): Promise<ClaimedJob | null> {
    try {
      const [rows] = await this.db.query(
        `UPDATE jobs j SET status = 'queued', worker_id = $1, lease_expires_at = now() + make_interval(secs => $2), attempts = j.attempts + 1, updated_at = now()
          FROM projects p
         WHERE p.id = j.project_id AND j.id = (
           SELECT c.id FROM jobs c
            WHERE c.status = 'pending'
              AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.project_id = c.project_id AND r.status IN ('queued', 'started'))
              AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.project_id = c.project_id AND e.status = 'pending' AND (e.created_at, e.id) < (c.created_at, c.id))
            ORDER BY c.created_at, c.id
            LIMIT 1 FOR UPDATE OF c SKIP LOCKED)
        RETURNING j.id, j.project_id, j.type, p.the_qgis_file_name`,
        [workerId, leaseSeconds],
      );
      return rows[0] ?? null;
    } catch (error) {
      if (isUniqueViolation(error, 'jobs_one_running_per_project')) return null;
      throw error;
    }
  }

  /** The job's process runs from now on: `started`, with its `started_at`. False when the job is no longer this worker's. */
  async markStarted(jobId: string, workerId: string): Promise<boolean> {
    const [, count] = await this.db.query(
      `UPDATE jobs SET status = 'started', started_at = now(), updated_at = now() WHERE id = $1 AND worker_id = $2 AND status = 'queued'`,
      [jobId, workerId],
    );
    return count === 1;
  }

  /** Renews the leases of the worker's running jobs; answers those it still holds (a deleted project's job is gone). */
  async renewLeases(workerId: string, jobIds: string[], leaseSeconds: number): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const [rows] = await this.db.query(
      `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = ANY($2::uuid[]) AND worker_id = $1 AND status IN ('queued', 'started') RETURNING id`,
      [workerId, jobIds, leaseSeconds],
    );
    return new Set(rows.map((row: { id: string }) => row.id));
  }

  /** Ends a job this worker holds; false (nothing written) when it no longer holds it. */
  async finish(
    db: EntityManager,
    jobId: string,
    workerId: string,
    status: 'finished' | 'failed',
    feedback: JobFeedback,
    output: string | null,
  ): Promise<boolean> {
    const [, count] = await db.query(
      `UPDATE jobs SET status = $3, feedback = $4, output = $5, finished_at = now(), updated_at = now(), started_at = coalesce(started_at, now()),
              worker_id = NULL, lease_expires_at = NULL
        WHERE id = $1 AND worker_id = $2 AND status IN ('queued', 'started')`,
      [jobId, workerId, status, JSON.stringify(feedback), output],
    );
    return count === 1;
  }

  /** `finish` in a transaction of its own. */
  async finishOutside(jobId: string, workerId: string, status: 'finished' | 'failed', feedback: JobFeedback, output: string | null): Promise<boolean> {
    return this.finish(this.db.manager, jobId, workerId, status, feedback, output);
  }

  /** A worker that stops cleanly hands its claimed jobs back to the queue, to run again from the start. */
  async releaseJobs(workerId: string): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET status = 'pending', worker_id = NULL, lease_expires_at = NULL, started_at = NULL, updated_at = now()
        WHERE worker_id = $1 AND status IN ('queued', 'started')`,
      [workerId],
    );
  }

  /**
   * Ends `failed` (WORKER_LOST) every claimed job whose lease lapsed, or that has run far beyond any
   * timeout: its worker vanished. A lost process_projectfile leaves its project unprocessed.
   * Answers the ids it ended.
   */
  async failLostJobs(timeoutSeconds: number): Promise<string[]> {
    return this.db.transaction(async (db) => {
      const [rows] = await db.query(
        `UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(), started_at = coalesce(started_at, now()),
                worker_id = NULL, lease_expires_at = NULL,
                feedback = jsonb_build_object('feedback_version', '2.0', 'steps', '[]'::jsonb, 'outputs', '{}'::jsonb,
                  'error', 'The worker running this job stopped answering (it crashed, was killed or lost its machine)', 'error_type', 'WORKER_LOST')
          WHERE id IN (SELECT id FROM jobs WHERE status IN ('queued', 'started')
                          AND (lease_expires_at < now() OR started_at < now() - make_interval(secs => $1 + 60))
                        FOR UPDATE SKIP LOCKED)
        RETURNING id, project_id, type`,
        [timeoutSeconds],
      );
      const processed = rows.filter((row: { type: JobType }) => row.type === 'process_projectfile').map((row: { project_id: string }) => row.project_id);
      if (processed.length) await db.query(`UPDATE projects SET project_details = NULL WHERE id = ANY($1::uuid[])`, [processed]);
      return rows.map((row: { id: string }) => row.id);
    });
  }

  /** JOB_LOG_RETENTION_DAYS: the logs of jobs finished longer ago are cleared. */
  async clearOldLogs(days: number): Promise<number> {
    const [, count] = await this.db.query(`UPDATE jobs SET output = NULL WHERE output IS NOT NULL AND finished_at < now() - make_interval(days => $1)`, [days]);
    return count;
  }

  /** The newest version of every file of the project: what a job's folder holds. */
  async newestFiles(projectId: string): Promise<{ name: string; storage_key: string }[]> {
    return this.db.query(
      `SELECT f.name, v.storage_key FROM project_files f
         CROSS JOIN LATERAL (SELECT storage_key FROM file_versions WHERE file_id = f.id ORDER BY created_at DESC, id DESC LIMIT 1) v
        WHERE f.project_id = $1 ORDER BY f.name`,
      [projectId],
    );
  }

  // ---- what process_projectfile stores (spec §10.4) ----

  /** `details` null: the project is not processed (a failed process_projectfile). */
  async storeProjectDetails(db: EntityManager, projectId: string, details: object | null): Promise<void> {
    await db.query(`UPDATE projects SET project_details = $2 WHERE id = $1`, [projectId, details === null ? null : JSON.stringify(details)]);
  }

  /**
   * Makes a job's rendering the project's thumbnail unless a person uploaded the current one.
   * Answers the storage key it replaced (to remove), or null when it stored nothing.
   */
  async setJobThumbnail(db: EntityManager, projectId: string, key: string, etag: string): Promise<{ stored: boolean; replaced: string | null }> {
    const [current] = await db.query(`SELECT thumbnail_key, thumbnail_from_job FROM projects WHERE id = $1 FOR UPDATE`, [projectId]);
    if (!current || (current.thumbnail_key !== null && !current.thumbnail_from_job)) return { stored: false, replaced: null };
    await db.query(
      `UPDATE projects SET thumbnail_key = $2, thumbnail_content_type = 'image/png', thumbnail_etag = $3, thumbnail_from_job = true WHERE id = $1`,
      [projectId, key, etag],
    );
    return { stored: true, replaced: current.thumbnail_key };
  }

  // ---- workers (spec §9: the `worker` of /status/) ----

  async heartbeat(worker: { id: string; qgisStatus: 'ok' | 'missing'; qgisVersion: string | null; qgisError: string | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO workers (id, hostname, pid, qgis_status, qgis_version, qgis_error) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), qgis_status = $4, qgis_version = $5, qgis_error = $6`,
      [worker.id, os.hostname(), process.pid, worker.qgisStatus, worker.qgisVersion, worker.qgisError],
    );
  }

  /** A worker that stops cleanly says so; the others' rows age out (and are pruned after a day). */
  async removeWorker(id: string): Promise<void> {
    await this.db.query(`DELETE FROM workers WHERE id = $1 OR last_seen_at < now() - interval '1 day'`, [id]);
  }

  /** `ok` while some worker polled in the last minute and starts QGIS; `missing_qgis` when those that polled cannot; else `off`. */
  async workerState(): Promise<WorkerState> {
    const [row] = await this.db.query(
      `SELECT bool_or(qgis_status = 'ok') AS ok, count(*)::int AS seen FROM workers WHERE last_seen_at > now() - interval '1 minute'`,
    );
    return row.ok ? 'ok' : row.seen > 0 ? 'missing_qgis' : 'off';
  }
}
