import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Project files and their versions (spec §8), and the outbox of stored bytes to remove: keys are
 * written there in the same transaction that drops their rows, removed from storage after the
 * commit, and retried by the sweeper when that fails.
 */
export class ProjectFiles1764489600000 implements MigrationInterface {
  name = 'ProjectFiles1764489600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE project_files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        name varchar(1024) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT project_files_project_name_key UNIQUE (project_id, name)
      )`);
    await db.query(`
      CREATE TABLE file_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        file_id uuid NOT NULL REFERENCES project_files (id) ON DELETE CASCADE,
        storage_key text NOT NULL UNIQUE,
        size bigint NOT NULL CHECK (size >= 0),
        md5 char(32) NOT NULL,
        sha256 char(64) NOT NULL,
        uploaded_by_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await db.query(`CREATE INDEX file_versions_file_newest ON file_versions (file_id, created_at DESC, id)`);
    await db.query(`
      CREATE TABLE storage_deletions (
        storage_key text PRIMARY KEY,
        queued_at timestamptz NOT NULL DEFAULT now(),
        attempts int NOT NULL DEFAULT 0
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE storage_deletions`);
    await db.query(`DROP TABLE file_versions`);
    await db.query(`DROP TABLE project_files`);
  }
}
