import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The QGIS version (`X.Y.Z`) read from the root element of each uploaded QGIS file version (spec §8),
 * and the project's `qgis_version`: that of the newest version of its QGIS file. Files uploaded before
 * this have none (their project shows null) until the QGIS file is uploaded again.
 */
export class QgisVersion1765000000001 implements MigrationInterface {
  name = 'QgisVersion1765000000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE file_versions ADD COLUMN qgis_version text`);
    await db.query(`ALTER TABLE projects ADD COLUMN qgis_version text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE projects DROP COLUMN qgis_version`);
    await db.query(`ALTER TABLE file_versions DROP COLUMN qgis_version`);
  }
}
