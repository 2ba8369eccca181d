import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The S3-style ETag of every file version (spec §8), served as `md5sum` and in the download ETag.
 * Up to 8 MiB it is the plain md5 the rows already hold. Larger versions stored before this need their
 * bytes read, which a migration cannot do: they keep a null etag, the running app computes it from
 * storage in the background (FileEtagBackfill), and until then their plain md5 is served as before.
 */
export class FileEtags1765000000000 implements MigrationInterface {
  name = 'FileEtags1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE file_versions ADD COLUMN etag text`);
    await db.query(`UPDATE file_versions SET etag = md5 WHERE size <= 8388608`);
    await db.query(`CREATE INDEX file_versions_without_etag ON file_versions (id) WHERE etag IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE file_versions DROP COLUMN etag`);
  }
}
