import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The list indexes carry every column a page is chosen by (PROJECT_SORT_KEYS) and filtered on, so pages,
 * searches and counts are index-only scans: at 1M projects an organization admin's page read 3800
 * buffers and 2100 heap rows, and a search counted by fetching every visible project's row.
 */
const INDEXES: Array<[name: string, definition: string, previous: string]> = [
  [
    'projects_owner_featured_name',
    '(owner_id, is_featured DESC, lower(name), id) INCLUDE (name, created_at, owner_name_lower)',
    '(owner_id, is_featured DESC, lower(name), id)',
  ],
  ['projects_owner_lower_name', '(owner_id, lower(name), id) INCLUDE (is_featured, name, created_at, owner_name_lower)', '(owner_id, lower(name), id)'],
  ['projects_owner_created_at', '(owner_id, created_at, id) INCLUDE (is_featured, name, owner_name_lower)', '(owner_id, created_at, id)'],
  [
    'projects_public_featured_owner_name',
    '(is_featured DESC, owner_name_lower, lower(name), id) INCLUDE (name, created_at) WHERE is_public',
    '(is_featured DESC, owner_name_lower, lower(name), id) WHERE is_public',
  ],
  ['projects_public_owner_name', '(owner_name_lower, id) INCLUDE (is_featured, name, created_at) WHERE is_public', '(owner_name_lower, id) WHERE is_public'],
  ['projects_public_name', '(lower(name), id) INCLUDE (is_featured, name, created_at, owner_name_lower) WHERE is_public', '(lower(name), id) WHERE is_public'],
  ['projects_public_created_at', '(created_at, id) INCLUDE (is_featured, name, owner_name_lower) WHERE is_public', '(created_at, id) WHERE is_public'],
];

export class CoveringListIndexes1764748800000 implements MigrationInterface {
  name = 'CoveringListIndexes1764748800000';

  async up(db: QueryRunner): Promise<void> {
    for (const [name, definition] of INDEXES) {
      await db.query(`DROP INDEX ${name}`);
      await db.query(`CREATE INDEX ${name} ON projects ${definition}`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const [name, , previous] of INDEXES) {
      await db.query(`DROP INDEX ${name}`);
      await db.query(`CREATE INDEX ${name} ON projects ${previous}`);
    }
  }
}
