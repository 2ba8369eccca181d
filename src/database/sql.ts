import { Inject } from '@nestjs/common';
import { DataSource, EntityManager, type QueryRunner } from 'typeorm';

/**
 * The one way repositories send hand-written SQL (everything else uses TypeORM's Repository API).
 *
 * - `Db` is where a statement runs: the pool (`DataSource`) or a transaction's `EntityManager`.
 * - `selectRows` / `selectOne` read; `execute` writes and always answers `{ rows, affected }`, whatever
 *   the statement (TypeORM's own `query()` answers rows for INSERT but `[rows, count]` for UPDATE and
 *   DELETE).
 * - A unique violation becomes a domain error in one place: `onUniqueViolation(work, constraint, error)`.
 *
 * Transactions: a repository is bound to the pool; the handler that owns a transaction starts it and
 * binds the repositories it needs to it with `withinTx(manager)`:
 *
 *     await this.dataSource.transaction(async (tx) => {
 *       await this.accounts.withinTx(tx).lock(id);
 *       await this.auth.withinTx(tx).expireTokens(id);
 *     });
 *
 * Repository methods never take a `db` parameter; they run on `this.db`.
 */
export type Db = DataSource | EntityManager;

export async function selectRows<T>(db: Db, text: string, params?: readonly unknown[]): Promise<T[]> {
  return ((await run(db, text, params)).records ?? []) as T[];
}

export async function selectOne<T>(db: Db, text: string, params?: readonly unknown[]): Promise<T | undefined> {
  const [row] = await selectRows<T>(db, text, params);
  return row;
}

/** INSERT, UPDATE or DELETE: the RETURNING rows (none without RETURNING) and the affected row count. */
export async function execute<T = never>(db: Db, text: string, params?: readonly unknown[]): Promise<{ rows: T[]; affected: number }> {
  const result = await run(db, text, params);
  return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
}

/** The SQLSTATE of a PostgreSQL error, as raised through TypeORM or pg. */
function sqlState(error: unknown): string | undefined {
  const e = error as { code?: string; driverError?: { code?: string } };
  return e?.code ?? e?.driverError?.code;
}

/** Postgres unique-violation (23505), as raised through TypeORM or pg; on the named constraint when given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { constraint?: string; driverError?: { constraint?: string } };
  const name = e?.constraint ?? e?.driverError?.constraint;
  return sqlState(error) === '23505' && (constraint === undefined || name === constraint);
}

/** Postgres foreign-key violation (23503): e.g. the row referred to was deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === '23503';
}

/** Postgres data exception (class 22): a value out of range or malformed for its type. */
export function isDataException(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}

/** `work`, with a unique violation on `constraint` (any, when undefined) turned into `error()`. */
export async function onUniqueViolation<T>(work: Promise<T>, constraint: string | undefined, error: () => Error): Promise<T> {
  try {
    return await work;
  } catch (caught) {
    if (isUniqueViolation(caught, constraint)) throw error();
    throw caught;
  }
}

/** The pool behind `db`, for what must run outside any transaction (prepared statements, migrations). */
export function dataSourceOf(db: Db): DataSource {
  return db instanceof EntityManager ? db.dataSource : db;
}

/**
 * The base of every module's repository: `db` is the pool, or the transaction it was bound to by
 * `withinTx`. Subclasses take no other constructor argument, so `withinTx` can make a bound copy.
 */
export abstract class SqlRepository {
  constructor(@Inject(DataSource) protected readonly db: Db) {}

  /** This repository, running its statements in the transaction of `manager`. */
  withinTx(manager: EntityManager): this {
    return new (this.constructor as new (db: Db) => this)(manager);
  }
}

/** Runs on the transaction's connection when there is one, else on a pooled connection for one statement. */
async function run(db: Db, text: string, params?: readonly unknown[]) {
  const bound: QueryRunner | undefined = db instanceof EntityManager ? db.queryRunner : undefined;
  const runner = bound ?? dataSourceOf(db).createQueryRunner();
  try {
    return await runner.query(text, params as unknown[] | undefined, true);
  } finally {
    if (!bound) await runner.release();
  }
}

/** `text` for a LIKE pattern, with its wildcards and the escape character taken literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}
