import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Packages (spec §12): the files a successful package job stored, per job. They are not project
 * files (not in file_storage_bytes). `superseded_at` is set when a newer package succeeded: the
 * previous package stays an hour for downloads in progress, older ones go at once.
 */
export class Packages1765300000000 implements MigrationInterface {
  name = 'Packages1765300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE package_files (
        job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        name text NOT NULL,
        size bigint NOT NULL,
        md5 text NOT NULL,
        sha256 text NOT NULL,
        storage_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        superseded_at timestamptz,
        PRIMARY KEY (job_id, name)
      )`);
    await db.query(`CREATE INDEX package_files_project ON package_files (project_id)`);
    await db.query(`CREATE INDEX package_files_superseded ON package_files (superseded_at) WHERE superseded_at IS NOT NULL`);
    // The latest successful package of a project (latest/, needs_repackaging).
    await db.query(`CREATE INDEX jobs_packages_finished ON jobs (project_id, finished_at) WHERE type = 'package' AND status = 'finished'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX jobs_packages_finished`);
    await db.query(`DROP TABLE package_files`);
  }
}
