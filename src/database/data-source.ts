import { DataSource, type DataSourceOptions } from 'typeorm';
import { AccountsAndTokens1764316800000 } from './migrations/1764316800000-accounts-and-tokens.js';
import { ProjectsAndRoles1764403200000 } from './migrations/1764403200000-projects-and-roles.js';
import { ProjectFiles1764489600000 } from './migrations/1764489600000-project-files.js';
import { ListIndexes1764576000000 } from './migrations/1764576000000-list-indexes.js';
import { ProjectOwnerName1764662400000 } from './migrations/1764662400000-project-owner-name.js';
import { CoveringListIndexes1764748800000 } from './migrations/1764748800000-covering-list-indexes.js';
import { PublicProjectCounts1764835200000 } from './migrations/1764835200000-public-project-counts.js';
import { FileEtags1765000000000 } from './migrations/1765000000000-file-etags.js';
import { QgisVersion1765000000001 } from './migrations/1765000000001-qgis-version.js';
import { Jobs1765100000000 } from './migrations/1765100000000-jobs.js';
import { Packages1765300000000 } from './migrations/1765300000000-packages.js';
import { Deltas1765400000000 } from './migrations/1765400000000-deltas.js';
import { OwnerProjectCounts1765500000000 } from './migrations/1765500000000-owner-project-counts.js';
import { POOL_IDLE_TIMEOUT_MS, POOL_SIZE } from './pool-settings.js';

/** Listed, not globbed: the same list works from src under jest and from dist in production. */
export const migrations = [
  AccountsAndTokens1764316800000,
  ProjectsAndRoles1764403200000,
  ProjectFiles1764489600000,
  ListIndexes1764576000000,
  ProjectOwnerName1764662400000,
  CoveringListIndexes1764748800000,
  PublicProjectCounts1764835200000,
  FileEtags1765000000000,
  QgisVersion1765000000001,
  Jobs1765100000000,
  Packages1765300000000,
  Deltas1765400000000,
  OwnerProjectCounts1765500000000,
];

/** `entities` comes from the composition root (src/entities.ts): the database module knows no module's tables. */
export function dataSourceOptions(url: string, entities: NonNullable<DataSourceOptions['entities']>): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: POOL_SIZE,
      application_name: 'fieldbase',
      // Connections are kept through pauses of up to 5 minutes (pg closes them after 10 s by default): a
      // new one costs 20–40 ms (a backend started, SCRAM on both sides) and then plans each prepared
      // statement afresh for its first executions, so after a pause a burst of list requests took 7–17
      // times as long as warm (docs/performance.md, point 14). Not for ever: a connection to a database
      // host that vanished without closing it would wait for the kernel to give up on it. TCP
      // keep-alive keeps a NAT or firewall between the server and an external PostgreSQL from dropping
      // an idle connection unseen.
      idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: 60_000,
    },
  };
}

/**
 * Runs pending migrations, then `andThen` (first-start set-up such as the admin account, which must not
 * run twice either). Several instances may start at once against one database: a session-level
 * advisory lock lets one of them do it while the others wait, then find nothing left to do.
 */
export async function migrate(dataSource: DataSource, andThen?: () => Promise<void>): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('fieldbase:migrations'))`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await andThen?.();
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(hashtext('fieldbase:migrations'))`).catch(() => undefined);
    await lock.release();
  }
}
