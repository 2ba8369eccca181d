import { DataSource } from 'typeorm';
import { execute, isUniqueViolation, onUniqueViolation, selectOne, selectRows, SqlRepository } from '../src/database/sql.js';
import { createTestDatabase } from './support/test-app.js';

// The raw-statement helper every repository uses: one return shape for every write, reads and
// transactions on the same helper, unique violations turned into domain errors in one place.
describe('database/sql', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource({ type: 'postgres', url: database.url }).initialize();
    await db.query(`CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL CONSTRAINT t_name_key UNIQUE)`);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('answers { rows, affected } for INSERT, UPDATE and DELETE alike', async () => {
    expect(await execute(db, `INSERT INTO t VALUES (1, 'a'), (2, 'b')`)).toEqual({ rows: [], affected: 2 });
    expect(await execute<{ id: number }>(db, `INSERT INTO t VALUES (3, 'c') RETURNING id`)).toEqual({ rows: [{ id: 3 }], affected: 1 });
    expect(await execute(db, `UPDATE t SET name = name || '!' WHERE id <= $1`, [2])).toEqual({ rows: [], affected: 2 });
    expect(await execute<{ id: number }>(db, `DELETE FROM t WHERE id = $1 RETURNING id`, [3])).toEqual({ rows: [{ id: 3 }], affected: 1 });
    expect(await execute(db, `DELETE FROM t WHERE id = $1`, [99])).toEqual({ rows: [], affected: 0 });
  });

  it('reads rows and one row, on the pool and in a transaction', async () => {
    expect(await selectRows<{ id: number }>(db, `SELECT id FROM t ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await selectOne<{ name: string }>(db, `SELECT name FROM t WHERE id = $1`, [1])).toEqual({ name: 'a!' });
    expect(await selectOne(db, `SELECT name FROM t WHERE id = $1`, [99])).toBeUndefined();
    await db.transaction(async (tx) => {
      await execute(tx, `INSERT INTO t VALUES (4, 'd')`);
      expect(await selectOne(tx, `SELECT id FROM t WHERE id = 4`)).toEqual({ id: 4 });
      expect(await selectOne(db, `SELECT id FROM t WHERE id = 4`)).toBeUndefined(); // not committed yet
    });
    expect(await selectOne(db, `SELECT id FROM t WHERE id = 4`)).toEqual({ id: 4 });
  });

  it('turns a unique violation on the named constraint into the given error, and lets others through', async () => {
    const insert = () => execute(db, `INSERT INTO t VALUES (10, 'a!')`);
    await expect(onUniqueViolation(insert(), 't_name_key', () => new Error('name taken'))).rejects.toThrow('name taken');
    await expect(onUniqueViolation(insert(), undefined, () => new Error('taken'))).rejects.toThrow('taken');
    const other = await onUniqueViolation(insert(), 't_pkey', () => new Error('id taken')).catch((e: unknown) => e);
    expect(isUniqueViolation(other, 't_name_key')).toBe(true);
    await expect(onUniqueViolation(execute(db, `INSERT INTO t VALUES (1, 'z')`), 't_name_key', () => new Error('name taken'))).rejects.toMatchObject({
      driverError: { constraint: 't_pkey' },
    });
  });

  it('binds a repository to a transaction with withinTx, leaving the pooled one as it was', async () => {
    class Names extends SqlRepository {
      add(id: number, name: string) {
        return execute(this.db, `INSERT INTO t VALUES ($1, $2)`, [id, name]);
      }
      has(id: number) {
        return selectOne(this.db, `SELECT 1 FROM t WHERE id = $1`, [id]).then(Boolean);
      }
    }
    const names = new Names(db);
    await db
      .transaction(async (tx) => {
        await names.withinTx(tx).add(20, 'twenty');
        expect(await names.withinTx(tx).has(20)).toBe(true);
        expect(await names.has(20)).toBe(false);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await names.has(20)).toBe(false);
  });
});
