import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-owner project counts (all, and public) kept by the database, so the total of a list is read
 * from one row per owner the caller sees whole instead of counting every visible project (12,300
 * index entries for an organization admin at 1M projects).
 *
 * The counts are append-only deltas: every write of `projects` that changes an owner's counts inserts
 * rows (+1/-1 per owner and statement), and never updates a shared row. So concurrent creates, deletes,
 * transfers and visibility changes do not queue on one counter row, and take no lock they did not take
 * before (an insert locks nothing that exists). An owner's count is the sum of its rows; the server
 * folds each owner's rows into one now and then (ProjectsRepository.compactOwnerCounts), in its own
 * transaction, skipping rows another compaction holds.
 *
 * Inserts and deletes are counted per statement (transition tables: one row per owner however many
 * projects a statement writes, as the seed and cascading account deletes do); owner and visibility
 * changes per row, only when they change.
 */
export class OwnerProjectCounts1765500000000 implements MigrationInterface {
  name = 'OwnerProjectCounts1765500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE owner_project_counts (
        id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT owner_project_counts_pkey PRIMARY KEY,
        owner_id uuid NOT NULL,
        projects integer NOT NULL,
        public_projects integer NOT NULL
      )`);
    await db.query(`CREATE INDEX owner_project_counts_owner ON owner_project_counts (owner_id) INCLUDE (projects, public_projects)`);
    await db.query(`
      INSERT INTO owner_project_counts (owner_id, projects, public_projects)
      SELECT owner_id, count(*), count(*) FILTER (WHERE is_public) FROM projects GROUP BY owner_id`);

    await db.query(`
      CREATE FUNCTION projects_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO owner_project_counts (owner_id, projects, public_projects)
        SELECT owner_id, count(*), count(*) FILTER (WHERE is_public) FROM inserted GROUP BY owner_id;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER projects_count_inserted AFTER INSERT ON projects REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION projects_count_inserted()`);
    await db.query(`
      CREATE FUNCTION projects_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO owner_project_counts (owner_id, projects, public_projects)
        SELECT owner_id, -count(*), -count(*) FILTER (WHERE is_public) FROM deleted GROUP BY owner_id;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER projects_count_deleted AFTER DELETE ON projects REFERENCING OLD TABLE AS deleted
        FOR EACH STATEMENT EXECUTE FUNCTION projects_count_deleted()`);
    // Transition tables cannot go with a column list, and most updates of a project (files, details)
    // change neither column: a row trigger with a WHEN costs them nothing.
    await db.query(`
      CREATE FUNCTION projects_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO owner_project_counts (owner_id, projects, public_projects)
        VALUES (OLD.owner_id, -1, -OLD.is_public::int), (NEW.owner_id, 1, NEW.is_public::int);
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER projects_count_changed AFTER UPDATE OF owner_id, is_public ON projects
        FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.is_public IS DISTINCT FROM NEW.is_public)
        EXECUTE FUNCTION projects_count_changed()`);
    await db.query(`
      CREATE FUNCTION projects_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM owner_project_counts;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER projects_count_truncated AFTER TRUNCATE ON projects
        FOR EACH STATEMENT EXECUTE FUNCTION projects_count_truncated()`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const name of ['truncated', 'changed', 'deleted', 'inserted']) {
      await db.query(`DROP TRIGGER projects_count_${name} ON projects`);
      await db.query(`DROP FUNCTION projects_count_${name}()`);
    }
    await db.query(`DROP TABLE owner_project_counts`);
  }
}
