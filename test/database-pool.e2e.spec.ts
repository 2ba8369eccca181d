import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source.js';
import { createTestDatabase } from './support/test-app.js';

// The server's pool, as src/database/data-source.ts configures it: a connection is dear to open
// (a backend, SCRAM, its prepared statements planned again), so an idle one is kept.
describe('database pool', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url, [])).initialize();
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  /** The backends of `n` statements run at once, so each holds its own connection. */
  const backendsOfConcurrentStatements = async (n: number): Promise<number[]> => {
    const rows = await Promise.all(Array.from({ length: n }, () => db.query(`SELECT pg_backend_pid() AS pid, pg_sleep(0.2)`)));
    return rows.map(([row]: Array<{ pid: number }>) => row.pid).sort();
  };

  it('keeps its connections through a pause longer than pg’s default idle timeout (10 s)', async () => {
    const before = await backendsOfConcurrentStatements(4);
    expect(new Set(before).size).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect(await backendsOfConcurrentStatements(4)).toEqual(before);
  }, 30_000);
});
