import { Injectable } from '@nestjs/common';
import { execute, selectRows, SqlRepository } from '../database/sql.js';

/**
 * The deltas module's tables: deltas and rejected_deltafiles (migration Deltas1765400000000).
 * Callers that queue apply jobs hold the project's row lock (JobsRepository.lockProject), so two
 * pushes to one project never hand the same delta to two jobs.
 */
@Injectable()
export class DeltasRepository extends SqlRepository {
  // ---- apply queue (spec §11.3) ----

  /** The project's pending deltas that no apply job holds, in push order. */
  async unassignedPending(projectId: string): Promise<string[]> {
    const rows = await selectRows<{ id: string }>(
      this.db,
      `SELECT id FROM deltas WHERE project_id = $1 AND status = 'pending' AND job_id IS NULL ORDER BY seq`,
      [projectId],
    );
    return rows.map((row) => row.id);
  }

  /** Hands deltas to an apply job; their waiting reason (over quota) is cleared. */
  async assignToJob(deltaIds: string[], jobId: string): Promise<void> {
    await execute(
      this.db,
      `UPDATE deltas SET job_id = $2, last_feedback = NULL, updated_at = clock_timestamp() WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
      [deltaIds, jobId],
    );
  }

  /** Says why the project's unassigned pending deltas wait (spec §11.3: over quota). */
  async markWaiting(projectId: string, msg: string): Promise<void> {
    await execute(
      this.db,
      `UPDATE deltas SET last_feedback = jsonb_build_object('msg', $2::text), updated_at = clock_timestamp()
        WHERE project_id = $1 AND status = 'pending' AND job_id IS NULL`,
      [projectId, msg],
    );
  }

  // ---- applying (worker) ----

  /** The deltas an apply job holds, in push order: what its job.json lists. */
  jobDeltas(jobId: string): Promise<JobDelta[]> {
    return selectRows<JobDelta>(this.db, `SELECT id, client_id, content FROM deltas WHERE job_id = $1 AND status IN ('pending', 'started') ORDER BY seq`, [
      jobId,
    ]);
  }

  /**
   * The features earlier apply jobs created for these devices (spec §11.3): later deltas of the same
   * clientId, layer and local key find the feature through the key the data source gave it.
   */
  createdFeatures(projectId: string, clientIds: string[]): Promise<CreatedFeature[]> {
    return selectRows<CreatedFeature>(
      this.db,
      `SELECT client_id, content ->> 'localLayerId' AS layer_id, content ->> 'localPk' AS local_pk, modified_pk
         FROM deltas WHERE project_id = $1 AND client_id = ANY($2::text[]) AND modified_pk IS NOT NULL ORDER BY seq`,
      [projectId, clientIds],
    );
  }

  /** Projects with pending deltas no job holds (their apply job failed before QGIS started, or the owner was over quota). */
  async projectsWithUnassignedPending(limit: number): Promise<string[]> {
    const rows = await selectRows<{ project_id: string }>(
      this.db,
      `SELECT DISTINCT project_id FROM deltas WHERE status = 'pending' AND job_id IS NULL LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.project_id);
  }

  /** The job's process runs: its deltas are `started` (STATUS_BUSY). */
  async markStarted(jobId: string): Promise<void> {
    await execute(this.db, `UPDATE deltas SET status = 'started', updated_at = clock_timestamp() WHERE job_id = $1 AND status = 'pending'`, [jobId]);
  }

  /** A worker stopping cleanly hands the job back: its deltas wait for it again, still held by it. */
  async unstart(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await execute(this.db, `UPDATE deltas SET status = 'pending', updated_at = clock_timestamp() WHERE job_id = ANY($1::uuid[]) AND status = 'started'`, [
      jobIds,
    ]);
  }

  /** One delta's outcome, from the job that holds it. */
  async storeOutcome(jobId: string, outcome: DeltaOutcome): Promise<void> {
    await execute(
      this.db,
      `UPDATE deltas SET status = $3, last_feedback = $4, modified_pk = $5, updated_at = clock_timestamp()
        WHERE id = $2 AND job_id = $1 AND status IN ('pending', 'started')`,
      [jobId, outcome.id, outcome.status, JSON.stringify(outcome.feedback), outcome.modifiedPk],
    );
  }

  /**
   * The deltas of a failed or lost apply job go back to the queue (spec §10.3): `pending`, held by no
   * job, one attempt more; a delta whose attempts reach `maxAttempts` ends `error` instead, still
   * pointing at its last job (whose log says why). With `countAttempt` false (the worker could not
   * start QGIS at all: no attempt was made) they only wait. Answers how many wait again.
   */
  async returnToQueue(jobId: string, reason: string, options: { maxAttempts: number; countAttempt: boolean }): Promise<number> {
    const { rows } = await execute<{ status: string }>(
      this.db,
      `UPDATE deltas SET
          attempts = attempts + $3::int,
          status = CASE WHEN attempts + $3::int >= $4 THEN 'error' ELSE 'pending' END,
          job_id = CASE WHEN attempts + $3::int >= $4 THEN job_id END,
          last_feedback = CASE WHEN attempts + $3::int >= $4
            THEN jsonb_build_object('msg', format('Not applied: %s apply jobs holding this delta failed; the last one: %s', attempts + $3::int, $2::text))
            ELSE jsonb_build_object('msg', format('Waiting to be applied again: the apply job failed (%s)', $2::text)) END,
          updated_at = clock_timestamp()
        WHERE job_id = $1 AND status IN ('pending', 'started')
        RETURNING status`,
      [jobId, reason, options.countAttempt ? 1 : 0, options.maxAttempts],
    );
    return rows.filter((row) => row.status === 'pending').length;
  }
}

/** A delta as an apply job's job.json lists it. */
export interface JobDelta {
  id: string;
  client_id: string;
  content: Record<string, unknown>;
}

/** A feature an earlier apply job created from the field, and the key the data source gave it. */
export interface CreatedFeature {
  client_id: string;
  layer_id: string | null;
  local_pk: string | null;
  modified_pk: string;
}

export interface DeltaOutcome {
  id: string;
  status: 'applied' | 'conflict' | 'not_applied' | 'error';
  feedback: Record<string, unknown>;
  modifiedPk: string | null;
}
