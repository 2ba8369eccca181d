import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every project object names its owner's shared_datasets project: one index entry per owner finds it. */
export class ListIndexes1764576000000 implements MigrationInterface {
  name = 'ListIndexes1764576000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE UNIQUE INDEX projects_shared_datasets ON projects (owner_id) WHERE project_type = 'shared_datasets'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX projects_shared_datasets`);
  }
}
