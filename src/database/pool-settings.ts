/**
 * The database pool's size, and how long an idle connection stays open (why: dataSourceOptions in
 * data-source.ts). A module of its own so the bench's reference servers use the same values without
 * loading TypeORM.
 */
export const POOL_SIZE = 10;
export const POOL_IDLE_TIMEOUT_MS = 5 * 60_000;
