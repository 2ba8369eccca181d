import { Injectable } from '@nestjs/common';
import { AccountType } from '../common/account-type.js';
import { execute, selectOne, SqlRepository } from '../database/sql.js';
import { Account } from './account.entity.js';
import { PERSON_RETURNING, STORAGE_USED_SQL } from './accounts.sql.js';
import type { PersonRow } from './dto/person.dto.js';

/** A person's stored fields, by column. */
export interface PersonColumns {
  first_name?: string;
  last_name?: string;
  email?: string | null;
  password_hash?: string;
  storage_quota_bytes?: number | null;
  is_active?: boolean;
  is_staff?: boolean;
}

export interface NewPersonRow {
  username: string;
  email: string | null;
  firstName: string;
  lastName: string;
  passwordHash: string;
  isStaff: boolean;
}

/** The `accounts` table: persons, and what every account kind shares (names, quota, locks). */
@Injectable()
export class AccountsRepository extends SqlRepository {
  private get accounts() {
    return this.db.getRepository(Account);
  }

  /** A person or organization by name, case-insensitively; teams are not users. */
  findUser(username: string): Promise<(PersonRow & { is_active: boolean }) | undefined> {
    return selectOne(this.db, `SELECT ${PERSON_RETURNING}, a.is_active FROM accounts a WHERE lower(a.username) = lower($1) AND a.type <> ${AccountType.Team}`, [
      username,
    ]);
  }

  /** Any account (person, organization or team) by name, case-insensitively. */
  findByName(username: string): Promise<{ id: string; username: string; type: AccountType; organization_owner_id: string | null } | undefined> {
    return selectOne(this.db, `SELECT id, username, type, organization_owner_id FROM accounts WHERE lower(username) = lower($1)`, [username]);
  }

  /** Whether any account (of any kind) has this name, case-insensitively. */
  async nameTaken(username: string): Promise<boolean> {
    return (await selectOne(this.db, `SELECT 1 FROM accounts WHERE lower(username) = lower($1)`, [username])) !== undefined;
  }

  anyStaff(): Promise<boolean> {
    return this.accounts.existsBy({ isStaff: true });
  }

  async insertPerson(person: NewPersonRow): Promise<PersonRow> {
    const { rows } = await execute<PersonRow>(
      this.db,
      `INSERT INTO accounts AS a (type, username, email, first_name, last_name, password_hash, is_staff)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${PERSON_RETURNING}`,
      [AccountType.Person, person.username, person.email, person.firstName, person.lastName, person.passwordHash, person.isStaff],
    );
    return rows[0];
  }

  async personRow(id: string): Promise<PersonRow> {
    return (await selectOne<PersonRow>(this.db, `SELECT ${PERSON_RETURNING} FROM accounts a WHERE a.id = $1`, [id]))!;
  }

  /** Sets the given columns (and updated_at) and answers the person's row. */
  async updatePerson(id: string, changes: PersonColumns): Promise<PersonRow> {
    const given = Object.entries(changes).filter(([, value]) => value !== undefined);
    if (given.length === 0) return this.personRow(id);
    const sets = given.map(([column], i) => `${column} = $${i + 2}`);
    const { rows } = await execute<PersonRow>(
      this.db,
      `UPDATE accounts AS a SET ${sets.join(', ')}, updated_at = now() WHERE a.id = $1 RETURNING ${PERSON_RETURNING}`,
      [id, ...given.map(([, value]) => value)],
    );
    return rows[0];
  }

  /**
   * Locks the account row until the transaction ends. FOR UPDATE conflicts with the key-share lock a
   * project insert takes on its owner, so no project can appear for it meanwhile.
   */
  async lock(id: string): Promise<void> {
    await selectOne(this.db, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [id]);
  }

  async organizationOwnerId(id: string): Promise<string | null> {
    return (await this.accounts.findOne({ select: { organizationOwnerId: true }, where: { id } }))?.organizationOwnerId ?? null;
  }

  async ownedProjectCount(id: string): Promise<number> {
    return (await selectOne<{ count: number }>(this.db, `SELECT count(*)::int AS count FROM projects WHERE owner_id = $1`, [id]))!.count;
  }

  ownedOrganizationCount(id: string): Promise<number> {
    return this.accounts.countBy({ organizationOwnerId: id });
  }

  async delete(id: string): Promise<void> {
    await this.accounts.delete({ id });
  }

  /** An account's stored bytes and quota (spec §8), the quota defaulting to `defaultQuotaBytes`. */
  async storageUsage(accountId: string, defaultQuotaBytes: number): Promise<{ usedBytes: number; quotaBytes: number }> {
    const row = await selectOne<{ quota: string; used: string }>(
      this.db,
      `SELECT coalesce(a.storage_quota_bytes, $2)::bigint AS quota, ${STORAGE_USED_SQL}::bigint AS used FROM accounts a WHERE a.id = $1`,
      [accountId, defaultQuotaBytes],
    );
    return { usedBytes: Number(row!.used), quotaBytes: Number(row!.quota) };
  }
}
