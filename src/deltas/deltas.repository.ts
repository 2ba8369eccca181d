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
}
