import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts (persons now; organizations and teams share the table and its name space), tokens, login throttling. */
export class AccountsAndTokens1764316800000 implements MigrationInterface {
  name = 'AccountsAndTokens1764316800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await db.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type smallint NOT NULL CHECK (type IN (1, 2, 3)),
        username varchar(320) NOT NULL,
        email varchar(254),
        first_name varchar(150) NOT NULL DEFAULT '',
        last_name varchar(150) NOT NULL DEFAULT '',
        password_hash text,
        is_staff boolean NOT NULL DEFAULT false,
        is_active boolean NOT NULL DEFAULT true,
        storage_quota_bytes bigint CHECK (storage_quota_bytes >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz
      )`);
    await db.query(`CREATE UNIQUE INDEX accounts_username_key ON accounts (lower(username))`);
    await db.query(`CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email)) WHERE type = 1 AND email IS NOT NULL`);
    await db.query(`CREATE INDEX accounts_username_trgm ON accounts USING gin (lower(username) gin_trgm_ops)`);
    await db.query(`CREATE INDEX accounts_staff ON accounts (id) WHERE is_staff`);

    await db.query(`
      CREATE TABLE auth_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        key_hash char(64) NOT NULL UNIQUE,
        client_type varchar(16) NOT NULL,
        user_agent varchar(512) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_used_at timestamptz
      )`);
    await db.query(`CREATE INDEX auth_tokens_account ON auth_tokens (account_id, client_type, expires_at)`);

    await db.query(`
      CREATE TABLE login_failures (
        account_key varchar(320) NOT NULL,
        client_ip varchar(64) NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await db.query(`CREATE INDEX login_failures_key ON login_failures (account_key, client_ip, failed_at)`);
    await db.query(`
      CREATE TABLE login_lockouts (
        account_key varchar(320) NOT NULL,
        client_ip varchar(64) NOT NULL,
        locked_until timestamptz NOT NULL,
        PRIMARY KEY (account_key, client_ip)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE login_lockouts`);
    await db.query(`DROP TABLE login_failures`);
    await db.query(`DROP TABLE auth_tokens`);
    await db.query(`DROP TABLE accounts`);
  }
}
