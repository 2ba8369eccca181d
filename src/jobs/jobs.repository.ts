import os from 'node:os';
import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { PageRequest } from '../common/pagination.js';
import { limitOffsetSql } from '../common/pagination.js';
import { execute, isUniqueViolation, selectOne, selectRows, SqlRepository } from '../database/sql.js';
import { ACTIVE_JOB_STATUSES, Job, type JobFeedback, type JobStatus, type JobType } from './job.entity.js';

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
  /** Who asked for it: the creator of the job that takes over a failed apply job's deltas. */
  created_by_id: string | null;
}

/** A job ended WORKER_LOST. */
export interface LostJob {
  id: string;
  project_id: string;
  type: JobType;
  created_by_id: string | null;
}

export type WorkerState = 'ok' | 'missing_qgis' | 'off';

/** A claimed job whose lease lapsed, or that has run far beyond any timeout (`$1` = JOB_TIMEOUT_SECONDS): its worker vanished. */
const LOST_JOB = `status IN ('queued', 'started') AND (lease_expires_at < now() OR started_at < now() - make_interval(secs => $1 + 60))`;
const WORKER_LOST_SET = `status = 'failed', finished_at = now(), updated_at = now(), started_at = coalesce(started_at, now()),
              worker_id = NULL, lease_expires_at = NULL,
              feedback = jsonb_build_object('feedback_version', '2.0', 'steps', '[]'::jsonb, 'outputs', '{}'::jsonb,
                'error', 'The worker running this job stopped answering (it crashed, was killed or lost its machine)', 'error_type', 'WORKER_LOST')`;

const JOB_COLUMNS = `j.id, j.project_id, j.type, j.status, a.username AS created_by, j.created_at, j.updated_at, j.started_at, j.finished_at`;

/**
 * The jobs module's tables: jobs (the queue of spec §10.3) and workers (heartbeats for /status/).
 * What process_projectfile stores on a project is written by ProjectsRepository.
 */
@Injectable()
export class JobsRepository extends SqlRepository {
  private get jobs() {
    return this.db.getRepository(Job);
  }

  /** A project's jobs, oldest first, and their number. */
  async list(projectId: string, type: JobType | null, page: PageRequest): Promise<{ rows: JobRow[]; total: number }> {
    const params: unknown[] = [projectId, type];
    const where = `j.project_id = $1 AND ($2::text IS NULL OR j.type = $2)`;
    const rows = await selectRows<JobRow>(
      this.db,
      `SELECT ${JOB_COLUMNS} FROM jobs j LEFT JOIN accounts a ON a.id = j.created_by_id
        WHERE ${where} ORDER BY j.created_at, j.id ${limitOffsetSql(page, params)}`,
      params,
    );
    const [{ count }] = await selectRows<{ count: number }>(this.db, `SELECT count(*)::int AS count FROM jobs j WHERE ${where}`, [projectId, type]);
    return { rows, total: count };
  }

  async get(jobId: string): Promise<JobRow | null> {
    const row = await selectOne<JobRow>(
      this.db,
      `SELECT ${JOB_COLUMNS}, j.feedback, j.output FROM jobs j LEFT JOIN accounts a ON a.id = j.created_by_id WHERE j.id = $1`,
      [jobId],
    );
    return row ?? null;
  }

  /** The project, locked until the transaction ends, so two creates of one project are serialised (package dedup). */
  async lockProject(projectId: string): Promise<ProjectForJobs | null> {
    const row = await selectOne<ProjectForJobs>(
      this.db,
      `SELECT p.id, p.owner_id, o.username AS owner, p.project_type, p.the_qgis_file_name
         FROM projects p JOIN accounts o ON o.id = p.owner_id WHERE p.id = $1 FOR UPDATE OF p`,
      [projectId],
    );
    return row ?? null;
  }

  /** The project's oldest pending, queued or started job of `type`, if any. */
  async activeJob(projectId: string, type: JobType): Promise<JobRow | null> {
    const job = await this.jobs.findOne({
      select: { id: true },
      where: { projectId, type, status: In(ACTIVE_JOB_STATUSES) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return job ? this.get(job.id) : null;
  }

  async create(job: { projectId: string; type: JobType; createdById: string | null }): Promise<JobRow> {
    const inserted = await this.jobs.insert({ projectId: job.projectId, type: job.type, createdById: job.createdById });
    return (await this.get(inserted.identifiers[0].id))!;
  }

  /**
   * Spec §8: an upload queues a process_projectfile job of a project that has a QGIS file, unless
   * one created by the same person is still pending. The upload holds the project's row lock, so two
   * uploads of one person cannot both insert.
   */
  async queueProcessing(projectId: string, personId: string): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO jobs (project_id, type, created_by_id)
       SELECT p.id, 'process_projectfile', $2 FROM projects p
        WHERE p.id = $1 AND p.the_qgis_file_name IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.project_id = p.id AND j.type = 'process_projectfile' AND j.status = 'pending' AND j.created_by_id = $2)`,
      [projectId, personId],
    );
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
      const { rows } = await execute<ClaimedJob>(
        this.db,
        `UPDATE jobs j SET status = 'queued', worker_id = $1, lease_expires_at = now() + make_interval(secs => $2), attempts = j.attempts + 1, updated_at = now()
          FROM projects p
         WHERE p.id = j.project_id AND j.id = (
           SELECT c.id FROM jobs c
            WHERE c.status = 'pending'
              AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.project_id = c.project_id AND r.status IN ('queued', 'started'))
              AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.project_id = c.project_id AND e.status = 'pending' AND (e.created_at, e.id) < (c.created_at, c.id))
            ORDER BY c.created_at, c.id
            LIMIT 1 FOR UPDATE OF c SKIP LOCKED)
        RETURNING j.id, j.project_id, j.type, p.the_qgis_file_name, j.created_by_id`,
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
    const { affected } = await this.jobs.update(
      { id: jobId, workerId, status: 'queued' },
      { status: 'started', startedAt: () => 'now()', updatedAt: () => 'now()' },
    );
    return affected === 1;
  }

  /** Renews the leases of the worker's running jobs; answers those it still holds (a deleted project's job is gone). */
  async renewLeases(workerId: string, jobIds: string[], leaseSeconds: number): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const { rows } = await execute<{ id: string }>(
      this.db,
      `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = ANY($2::uuid[]) AND worker_id = $1 AND status IN ('queued', 'started') RETURNING id`,
      [workerId, jobIds, leaseSeconds],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Ends a job this worker holds; false (nothing written) when it no longer holds it. */
  async finish(jobId: string, workerId: string, status: 'finished' | 'failed', feedback: JobFeedback, output: string | null): Promise<boolean> {
    const { affected } = await execute(
      this.db,
      `UPDATE jobs SET status = $3, feedback = $4, output = $5, finished_at = now(), updated_at = now(), started_at = coalesce(started_at, now()),
              worker_id = NULL, lease_expires_at = NULL
        WHERE id = $1 AND worker_id = $2 AND status IN ('queued', 'started')`,
      [jobId, workerId, status, JSON.stringify(feedback), output],
    );
    return affected === 1;
  }

  /** A worker that stops cleanly hands its claimed jobs back to the queue, to run again from the start; answers their ids. */
  async releaseJobs(workerId: string): Promise<string[]> {
    const { rows } = await execute<{ id: string }>(
      this.db,
      `UPDATE jobs SET status = 'pending', worker_id = NULL, lease_expires_at = NULL, started_at = NULL, updated_at = now()
        WHERE worker_id = $1 AND status IN ('queued', 'started') RETURNING id`,
      [workerId],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Ends `failed` (WORKER_LOST) every claimed job whose worker vanished (LOST_JOB), except delta_apply
   * jobs (see lostApplyJobs). Answers the jobs it ended; the caller, in the same transaction, leaves
   * the projects of lost process_projectfile jobs unprocessed.
   */
  async failLostJobs(timeoutSeconds: number): Promise<LostJob[]> {
    const { rows } = await execute<LostJob>(
      this.db,
      `UPDATE jobs SET ${WORKER_LOST_SET}
        WHERE id IN (SELECT id FROM jobs WHERE ${LOST_JOB} AND type <> 'delta_apply' FOR UPDATE SKIP LOCKED)
      RETURNING id, project_id, type, created_by_id`,
      [timeoutSeconds],
    );
    return rows;
  }

  /**
   * The delta_apply jobs whose worker vanished. Each is ended on its own (failLostJob) in a
   * transaction that first locks its project, as every writer of a project's deltas does, then
   * returns its deltas to the queue.
   */
  lostApplyJobs(timeoutSeconds: number): Promise<LostJob[]> {
    return selectRows<LostJob>(
      this.db,
      `SELECT id, project_id, type, created_by_id FROM jobs WHERE ${LOST_JOB} AND type = 'delta_apply' ORDER BY created_at LIMIT 100`,
      [timeoutSeconds],
    );
  }

  /** Ends one job WORKER_LOST if its worker still has not come back; false when it ended otherwise meanwhile. */
  async failLostJob(jobId: string, timeoutSeconds: number): Promise<boolean> {
    const { affected } = await execute(this.db, `UPDATE jobs SET ${WORKER_LOST_SET} WHERE id = $2 AND ${LOST_JOB}`, [timeoutSeconds, jobId]);
    return affected === 1;
  }

  /** JOB_LOG_RETENTION_DAYS: the logs of jobs finished longer ago are cleared. */
  async clearOldLogs(days: number): Promise<number> {
    const { affected } = await execute(this.db, `UPDATE jobs SET output = NULL WHERE output IS NOT NULL AND finished_at < now() - make_interval(days => $1)`, [
      days,
    ]);
    return affected;
  }

  // ---- workers (spec §9: the `worker` of /status/) ----

  async heartbeat(worker: { id: string; qgisStatus: 'ok' | 'missing'; qgisVersion: string | null; qgisError: string | null }): Promise<void> {
    await execute(
      this.db,
      `INSERT INTO workers (id, hostname, pid, qgis_status, qgis_version, qgis_error) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), qgis_status = $4, qgis_version = $5, qgis_error = $6`,
      [worker.id, os.hostname(), process.pid, worker.qgisStatus, worker.qgisVersion, worker.qgisError],
    );
  }

  /** A worker that stops cleanly says so; the others' rows age out (and are pruned after a day). */
  async removeWorker(id: string): Promise<void> {
    await execute(this.db, `DELETE FROM workers WHERE id = $1 OR last_seen_at < now() - interval '1 day'`, [id]);
  }

  /** `ok` while some worker polled in the last minute and starts QGIS; `missing_qgis` when those that polled cannot; else `off`. */
  async workerState(): Promise<WorkerState> {
    const row = await selectOne<{ ok: boolean | null; seen: number }>(
      this.db,
      `SELECT bool_or(qgis_status = 'ok') AS ok, count(*)::int AS seen FROM workers WHERE last_seen_at > now() - interval '1 minute'`,
    );
    return row!.ok ? 'ok' : row!.seen > 0 ? 'missing_qgis' : 'off';
  }
}
