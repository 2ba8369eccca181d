import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deltas (spec §11): the edits QField pushes, one row per delta, kept as pushed, with their outcome.
 * A delta's id is the `uuid` its device gave it, so a re-push of the same file stores nothing twice.
 * `seq` is the push order (the order apply jobs take them in). `job_id` is the apply job that holds the
 * delta; `attempts` counts apply jobs lost with it (spec §10.3: three, then `error`).
 * `modified_pk` is the key the data source gave a created feature, found again by later deltas of the
 * same device, layer and local key.
 * Delta files refused as invalid are kept whole in rejected_deltafiles for the operator (§11.2).
 */
export class Deltas1765400000000 implements MigrationInterface {
  name = 'Deltas1765400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE deltas (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        deltafile_id uuid NOT NULL,
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        created_by_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
        client_id text NOT NULL,
        content jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'started', 'applied', 'conflict', 'not_applied', 'error', 'ignored', 'unpermitted')),
        last_feedback jsonb,
        modified_pk text,
        output text,
        job_id uuid REFERENCES jobs (id) ON DELETE SET NULL,
        attempts int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT deltas_seq_key UNIQUE (seq)
      )`);
    // GET /deltas/{p}/ (created_at order, either way) and one delta file's rows in file order.
    await db.query(`CREATE INDEX deltas_project_created ON deltas (project_id, created_at, seq)`);
    await db.query(`CREATE INDEX deltas_deltafile ON deltas (deltafile_id, seq)`);
    // The pending deltas no apply job holds yet, in push order (what a push or POST /jobs/ queues).
    await db.query(`CREATE INDEX deltas_unassigned ON deltas (project_id, seq) WHERE status = 'pending' AND job_id IS NULL`);
    // An apply job's deltas, in push order.
    await db.query(`CREATE INDEX deltas_job ON deltas (job_id, seq) WHERE job_id IS NOT NULL`);
    // The features created from the field: later deltas of the same device, layer and local key find them.
    await db.query(
      `CREATE INDEX deltas_created_features ON deltas (project_id, client_id, (content ->> 'localLayerId'), (content ->> 'localPk')) WHERE modified_pk IS NOT NULL`,
    );

    await db.query(`
      CREATE TABLE rejected_deltafiles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        created_by_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
        reason text NOT NULL,
        body bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX rejected_deltafiles_project ON rejected_deltafiles (project_id, created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE rejected_deltafiles`);
    await db.query(`DROP TABLE deltas`);
  }
}
