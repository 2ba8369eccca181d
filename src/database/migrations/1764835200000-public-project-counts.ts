import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The number of public projects, kept by triggers, so the total of GET /projects/public/ and of
 * include_public lists does not count tens of thousands of index entries per request. Spread over 16
 * rows (a project's id picks one) so concurrent writes of public projects do not queue on one row; the
 * total is their sum.
 */
export class PublicProjectCounts1764835200000 implements MigrationInterface {
  name = 'PublicProjectCounts1764835200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE public_project_counts (shard smallint PRIMARY KEY, projects bigint NOT NULL)`);
    await db.query(`INSERT INTO public_project_counts SELECT shard, 0 FROM generate_series(0, 15) AS shard`);
    await db.query(`
      UPDATE public_project_counts c SET projects = n.projects
        FROM (SELECT hashtext(id::text) & 15 AS shard, count(*) AS projects FROM projects WHERE is_public GROUP BY 1) n
       WHERE c.shard = n.shard`);
    await db.query(`
      CREATE FUNCTION projects_count_public() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        delta int := (CASE WHEN TG_OP <> 'DELETE' AND NEW.is_public THEN 1 ELSE 0 END)
                   - (CASE WHEN TG_OP <> 'INSERT' AND OLD.is_public THEN 1 ELSE 0 END);
      BEGIN
        IF delta <> 0 THEN
          UPDATE public_project_counts SET projects = projects + delta
           WHERE shard = hashtext(COALESCE(NEW.id, OLD.id)::text) & 15;
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER projects_count_public AFTER INSERT OR DELETE OR UPDATE OF is_public ON projects
        FOR EACH ROW EXECUTE FUNCTION projects_count_public()`);
    await db.query(`
      CREATE FUNCTION projects_count_public_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE public_project_counts SET projects = 0;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE TRIGGER projects_count_public_truncated AFTER TRUNCATE ON projects
        FOR EACH STATEMENT EXECUTE FUNCTION projects_count_public_truncated()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER projects_count_public_truncated ON projects`);
    await db.query(`DROP FUNCTION projects_count_public_truncated()`);
    await db.query(`DROP TRIGGER projects_count_public ON projects`);
    await db.query(`DROP FUNCTION projects_count_public()`);
    await db.query(`DROP TABLE public_project_counts`);
  }
}
