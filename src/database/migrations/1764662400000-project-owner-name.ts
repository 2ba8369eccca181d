import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Index-ordered project lists. Lists sort and filter on the owner's name, which lived only in accounts,
 * so a page had to compute every visible project before it could pick 50. Each project now carries its
 * owner's lower-cased username (person and organization names never change; a trigger keeps it right on
 * insert and transfer), so every list order has an index and a page reads about as many entries as it
 * returns:
 * - per owner, for the caller's own and organizations' projects (a few owners, each read in order);
 * - over all public projects, for the public list and include_public.
 */
export class ProjectOwnerName1764662400000 implements MigrationInterface {
  name = 'ProjectOwnerName1764662400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE projects ADD COLUMN owner_name_lower text`);
    await db.query(`UPDATE projects p SET owner_name_lower = lower(o.username) FROM accounts o WHERE o.id = p.owner_id`);
    await db.query(`ALTER TABLE projects ALTER COLUMN owner_name_lower SET NOT NULL`);
    await db.query(`
      CREATE FUNCTION projects_set_owner_name_lower() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.owner_name_lower := (SELECT lower(username) FROM accounts WHERE id = NEW.owner_id);
        RETURN NEW;
      END $$`);
    await db.query(`
      CREATE TRIGGER projects_owner_name_lower BEFORE INSERT OR UPDATE OF owner_id, owner_name_lower ON projects
        FOR EACH ROW EXECUTE FUNCTION projects_set_owner_name_lower()`);

    // One owner's projects in each list order (the owner's name is constant within them).
    await db.query(`CREATE INDEX projects_owner_featured_name ON projects (owner_id, is_featured DESC, lower(name), id)`);
    await db.query(`CREATE INDEX projects_owner_created_at ON projects (owner_id, created_at, id)`);
    // All public projects in each list order, and by owner for counting them.
    await db.query(`CREATE INDEX projects_public_featured_owner_name ON projects (is_featured DESC, owner_name_lower, lower(name), id) WHERE is_public`);
    await db.query(`CREATE INDEX projects_public_owner_name ON projects (owner_name_lower, id) WHERE is_public`);
    await db.query(`CREATE INDEX projects_public_name ON projects (lower(name), id) WHERE is_public`);
    await db.query(`CREATE INDEX projects_public_created_at ON projects (created_at, id) WHERE is_public`);
    await db.query(`CREATE INDEX projects_public_owner ON projects (owner_id, id) WHERE is_public`);
    // Superseded: the global orders are only ever read for public projects.
    await db.query(`DROP INDEX projects_public`);
    await db.query(`DROP INDEX projects_lower_name`);
    await db.query(`DROP INDEX projects_created_at`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX projects_created_at ON projects (created_at, id)`);
    await db.query(`CREATE INDEX projects_lower_name ON projects (lower(name), id)`);
    await db.query(`CREATE INDEX projects_public ON projects (id) WHERE is_public`);
    for (const index of [
      'projects_public_owner',
      'projects_public_created_at',
      'projects_public_name',
      'projects_public_owner_name',
      'projects_public_featured_owner_name',
      'projects_owner_created_at',
      'projects_owner_featured_name',
    ]) {
      await db.query(`DROP INDEX ${index}`);
    }
    await db.query(`DROP TRIGGER projects_owner_name_lower ON projects`);
    await db.query(`DROP FUNCTION projects_set_owner_name_lower()`);
    await db.query(`ALTER TABLE projects DROP COLUMN owner_name_lower`);
  }
}
