import { Injectable } from '@nestjs/common';
import type { PageRequest } from '../common/pagination.js';
import { limitOffsetSql } from '../common/pagination.js';
import { execute, isForeignKeyViolation, selectOne, selectRows, SqlRepository } from '../database/sql.js';
import type { DeltaStatus } from './delta.entity.js';

/** A delta as the API shows it (spec §11.2): the row with its author's username. */
export interface DeltaRow {
  id: string;
  deltafile_id: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  status: DeltaStatus;
  last_feedback: Record<string, unknown> | null;
  output: string | null;
  content: Record<string, unknown>;
}

/** A pushed file's deltas to store: the file's JSON (PostgreSQL reads the deltas out of it) and who pushed it. */
export interface DeltasToStore {
  json: string;
  deltafileId: string;
  projectId: string;
  createdById: string;
  /** False for a reporter (spec §6.4): their patches and deletes are stored `unpermitted` with `unpermittedMsg`. */
  mayChangeFeatures: boolean;
  unpermittedMsg: string;
}

const DELTA_COLUMNS = `d.id, d.deltafile_id, a.username AS created_by, d.created_at, d.updated_at, d.status, d.last_feedback, d.output, d.content`;

/**
 * The deltas module's tables: deltas and rejected_deltafiles (migration Deltas1765400000000).
 * Callers that queue apply jobs hold the project's row lock (JobsRepository.lockProject), so two
 * pushes to one project never hand the same delta to two jobs.
 */
@Injectable()
export class DeltasRepository extends SqlRepository {
  // ---- push and list (spec §11.2) ----

  /** What a push or a list needs to know of the project beyond the caller's role; null: no such project. */
  async projectType(projectId: string): Promise<string | null> {
    const row = await selectOne<{ project_type: string }>(this.db, `SELECT project_type FROM projects WHERE id = $1`, [projectId]);
    return row?.project_type ?? null;
  }

  /**
   * Stores the file's deltas in one statement, in file order (their `seq`), skipping those whose id is
   * stored already (a re-push) and, within the file, every repeat of an id but the first. PostgreSQL
   * parses the file itself, so the content is kept with every digit as pushed. Answers how many were new.
   */
  async store(deltas: DeltasToStore): Promise<number> {
    const { affected } = await execute(
      this.db,
      `INSERT INTO deltas (id, deltafile_id, project_id, created_by_id, client_id, content, status, last_feedback)
       SELECT f.id, $2, $3, $4, f.delta ->> 'clientId', f.delta,
              CASE WHEN $5 OR f.delta ->> 'method' = 'create' THEN 'pending' ELSE 'unpermitted' END,
              CASE WHEN $5 OR f.delta ->> 'method' = 'create' THEN NULL ELSE jsonb_build_object('msg', $6::text) END
         FROM (SELECT DISTINCT ON ((x.delta ->> 'uuid')::uuid) (x.delta ->> 'uuid')::uuid AS id, x.delta, x.n
                 FROM jsonb_array_elements($1::jsonb -> 'deltas') WITH ORDINALITY AS x(delta, n)
                ORDER BY (x.delta ->> 'uuid')::uuid, x.n) AS f
        ORDER BY f.n
       ON CONFLICT (id) DO NOTHING`,
      [deltas.json, deltas.deltafileId, deltas.projectId, deltas.createdById, deltas.mayChangeFeatures, deltas.unpermittedMsg],
    );
    return affected;
  }

  /** Which of these delta ids are stored in another project than `projectId`. */
  async inOtherProjects(deltaIds: string[], projectId: string): Promise<string[]> {
    const rows = await selectRows<{ id: string }>(this.db, `SELECT id FROM deltas WHERE id = ANY($1::uuid[]) AND project_id <> $2 ORDER BY id`, [
      deltaIds,
      projectId,
    ]);
    return rows.map((row) => row.id);
  }

  /** The project's deltas among `deltaIds`, in the order of `deltaIds`. */
  async byIds(projectId: string, deltaIds: string[]): Promise<DeltaRow[]> {
    return selectRows<DeltaRow>(
      this.db,
      `SELECT ${DELTA_COLUMNS} FROM unnest($2::uuid[]) WITH ORDINALITY AS f(id, n)
         JOIN deltas d ON d.id = f.id AND d.project_id = $1 LEFT JOIN accounts a ON a.id = d.created_by_id
        ORDER BY f.n`,
      [projectId, deltaIds],
    );
  }

  /** The project's deltas by created_at (push order within one instant), oldest or newest first, and their number. */
  async list(projectId: string, newestFirst: boolean, page: PageRequest): Promise<{ rows: DeltaRow[]; total: number }> {
    const order = newestFirst ? 'DESC' : 'ASC';
    const params: unknown[] = [projectId];
    const rows = await selectRows<DeltaRow>(
      this.db,
      `SELECT ${DELTA_COLUMNS} FROM deltas d LEFT JOIN accounts a ON a.id = d.created_by_id
        WHERE d.project_id = $1 ORDER BY d.created_at ${order}, d.seq ${order} ${limitOffsetSql(page, params)}`,
      params,
    );
    const [{ count }] = await selectRows<{ count: number }>(this.db, `SELECT count(*)::int AS count FROM deltas WHERE project_id = $1`, [projectId]);
    return { rows, total: count };
  }

  /** The deltas first pushed with the delta file `deltafileId` to the project, in file order. */
  async ofDeltafile(projectId: string, deltafileId: string): Promise<DeltaRow[]> {
    return selectRows<DeltaRow>(
      this.db,
      `SELECT ${DELTA_COLUMNS} FROM deltas d LEFT JOIN accounts a ON a.id = d.created_by_id
        WHERE d.deltafile_id = $2 AND d.project_id = $1 ORDER BY d.seq`,
      [projectId, deltafileId],
    );
  }

  /**
   * A refused delta file, kept whole for the operator (spec §11.2). False when the project was deleted
   * meanwhile: its refused files would go with it.
   */
  async keepRejected(file: { projectId: string; createdById: string; reason: string; body: Buffer }): Promise<boolean> {
    try {
      const { affected } = await execute(
        this.db,
        `INSERT INTO rejected_deltafiles (project_id, created_by_id, reason, body)
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM projects WHERE id = $1)`,
        [file.projectId, file.createdById, file.reason, file.body],
      );
      return affected === 1;
    } catch (error) {
      if (isForeignKeyViolation(error)) return false; // deleted between the check and the insert
      throw error;
    }
  }

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

  /** The outcomes of a job's deltas, in one statement (a job holds up to 1000). */
  async storeOutcomes(jobId: string, outcomes: DeltaOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await execute(
      this.db,
      `UPDATE deltas d SET status = o.status, last_feedback = o.feedback, modified_pk = o.modified_pk, updated_at = clock_timestamp()
         FROM jsonb_to_recordset($2::jsonb) AS o(id uuid, status text, feedback jsonb, modified_pk text)
        WHERE d.id = o.id AND d.job_id = $1 AND d.status IN ('pending', 'started')`,
      [jobId, JSON.stringify(outcomes.map((o) => ({ id: o.id, status: o.status, feedback: o.feedback, modified_pk: o.modifiedPk })))],
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
