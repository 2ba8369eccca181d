import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs and the queue of spec §10.3, the workers' heartbeats (for GET /status/, §9), and what
 * process_projectfile stores on a project (§10.4): its details, and whether the thumbnail came from
 * a job (a person's upload is never replaced by one).
 */
export class Jobs1765100000000 implements MigrationInterface {
  name = 'Jobs1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        type varchar(32) NOT NULL CHECK (type IN ('process_projectfile', 'package', 'delta_apply')),
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'started', 'finished', 'failed', 'stopped')),
        created_by_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
        -- clock_timestamp: jobs made in one transaction keep their order (a project's jobs run in creation order).
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        started_at timestamptz,
        finished_at timestamptz,
        feedback jsonb,
        output text,
        -- The claiming worker (workers.id) and until when its claim holds without a heartbeat.
        worker_id uuid,
        lease_expires_at timestamptz,
        attempts int NOT NULL DEFAULT 0,
        CONSTRAINT jobs_claimed CHECK ((status IN ('queued', 'started')) = (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL))
      )`);
    // The project's list (oldest first) and the FIFO check of the claim.
    await db.query(`CREATE INDEX jobs_project_created ON jobs (project_id, created_at, id)`);
    // The claim scans the pending jobs in creation order.
    await db.query(`CREATE INDEX jobs_pending ON jobs (created_at, id) WHERE status = 'pending'`);
    // At most one job per project is queued or started (§10.3), whatever races the claims run.
    await db.query(`CREATE UNIQUE INDEX jobs_one_running_per_project ON jobs (project_id) WHERE status IN ('queued', 'started')`);
    // The project's `status` (busy while any job is active), read for every project of a list page.
    await db.query(`CREATE INDEX jobs_active ON jobs (project_id) WHERE status IN ('pending', 'queued', 'started')`);
    await db.query(`CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status IN ('queued', 'started')`);
    await db.query(`CREATE INDEX jobs_logs ON jobs (finished_at) WHERE output IS NOT NULL`);

    await db.query(`
      CREATE TABLE workers (
        id uuid PRIMARY KEY,
        hostname text NOT NULL,
        pid int NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        qgis_status varchar(16) NOT NULL CHECK (qgis_status IN ('ok', 'missing')),
        qgis_version text,
        qgis_error text
      )`);
    await db.query(`CREATE INDEX workers_last_seen ON workers (last_seen_at)`);

    await db.query(`ALTER TABLE projects ADD COLUMN project_details jsonb, ADD COLUMN thumbnail_from_job boolean NOT NULL DEFAULT false`);
    // Projects that already have a QGIS file get processed once, as an upload would have done.
    await db.query(
      `INSERT INTO jobs (project_id, type) SELECT id, 'process_projectfile' FROM projects WHERE the_qgis_file_name IS NOT NULL ORDER BY created_at`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE projects DROP COLUMN thumbnail_from_job, DROP COLUMN project_details`);
    await db.query(`DROP TABLE workers`);
    await db.query(`DROP TABLE jobs`);
  }
}
