/**
 * npm run bench:seed -- --projects N [--database-url URL] [--data-dir DIR]
 *
 * Fills a database with a realistic population in a few set-based statements (generate_series in
 * PostgreSQL itself: no request, no round trip per row): persons, organizations with members and
 * teams, person- and organization-owned projects, direct and team collaborators, public projects and
 * file rows. It also creates the benchmark's own accounts with known tokens (see BENCH_USERS).
 * Without --database-url it uses the embedded PostgreSQL under --data-dir (default ./data/bench-N).
 */
import 'reflect-metadata';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { hashKey } from '../src/auth/auth-tokens.service.js';
import { dataSourceOptions, migrate } from '../src/database/data-source.js';
import { entities } from '../src/entities.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { BENCH_USERS, benchToken } from './bench-users.js';

const { values } = parseArgs({
  options: { projects: { type: 'string', default: '10000' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' } },
});
const N = Number(values.projects);
if (!Number.isInteger(N) || N < 1000) throw new Error('--projects must be a whole number of at least 1000');

const persons = Math.max(200, Math.floor(N / 10));
const organizations = Math.max(10, Math.floor(N / 1000));
const membersPerOrganization = 20;
const teamsPerOrganization = 3;
const orgProjects = Math.floor(N * 0.3);
const personProjects = N - orgProjects;

async function main(): Promise<void> {
  const started = Date.now();
  let url = values['database-url'] ?? process.env.DATABASE_URL ?? null;
  let stop = async () => {};
  if (!url) {
    const embedded = await startEmbeddedPostgres({ dataDir: path.resolve(values['data-dir'] ?? `data/bench-${N}`), port: 0, log: console.log });
    url = embedded.url;
    stop = embedded.stop;
  }
  const dataSource = await new DataSource(dataSourceOptions(url, entities)).initialize();
  await migrate(dataSource);
  await dataSource.destroy();

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const step = async (what: string, sql: string, params: unknown[] = []) => {
    const t = Date.now();
    const result = await db.query(sql, params);
    console.log(`${what}: ${result.rowCount ?? ''} rows in ${Date.now() - t} ms`);
  };
  try {
    await step(
      'reset',
      `TRUNCATE accounts, projects, project_collaborators, organization_members, team_members, project_files, file_versions, auth_tokens, login_failures, login_lockouts, storage_deletions CASCADE`,
    );
    // Everyone shares one password hash: the benchmark logs in with tokens, never with passwords.
    await step(
      'persons',
      `INSERT INTO accounts (type, username, email, first_name, last_name, password_hash)
      SELECT 1, 'p' || lpad(i::text, 7, '0'), 'p' || i || '@example.com', 'First' || i, 'Last' || i, 'scrypt$unusable'
        FROM generate_series(1, $1) AS i`,
      [persons],
    );
    await step(
      'organizations',
      `INSERT INTO accounts (type, username, organization_owner_id, default_project_role_for_members)
      SELECT 2, 'org' || lpad(i::text, 5, '0'),
             (SELECT id FROM accounts WHERE lower(username) = 'p' || lpad((1 + (i::bigint * 7919) % $2)::text, 7, '0')),
             (ARRAY[NULL, 'reader', 'editor']::project_role[])[1 + i % 3]
        FROM generate_series(1, $1) AS i`,
      [organizations, persons],
    );
    await step(
      'organization members',
      `INSERT INTO organization_members (organization_id, member_id, role)
      SELECT o.id, p.id, (ARRAY['admin', 'creator', 'member', 'member', 'member']::membership_role[])[1 + m % 5]
        FROM (SELECT id, row_number() OVER (ORDER BY username) AS n FROM accounts WHERE type = 2) o
        CROSS JOIN generate_series(1, $1) AS m
        JOIN accounts p ON lower(p.username) = 'p' || lpad((1 + (o.n * 104729 + m::bigint * 7907) % $2)::text, 7, '0')
       WHERE p.id <> (SELECT organization_owner_id FROM accounts WHERE id = o.id)
      ON CONFLICT DO NOTHING`,
      [membersPerOrganization, persons],
    );
    await step(
      'teams',
      `INSERT INTO accounts (type, username, team_organization_id)
      SELECT 3, '@' || o.username || '/team' || t, o.id FROM accounts o CROSS JOIN generate_series(1, $1) AS t WHERE o.type = 2`,
      [teamsPerOrganization],
    );
    await step(
      'team members',
      `INSERT INTO team_members (team_id, member_id)
      SELECT t.id, m.member_id FROM accounts t JOIN organization_members m ON m.organization_id = t.team_organization_id
       WHERE t.type = 3 AND (hashtext(t.id::text || m.member_id::text) & 3) = 0`,
    );
    await step(
      'person projects',
      `INSERT INTO projects (owner_id, name, description, is_public, is_featured, file_storage_bytes, created_at)
      SELECT p.id, 'project-' || i, 'Survey ' || i, i % 20 = 0, i % 500 = 0, 0, now() - make_interval(mins => i)
        FROM generate_series(1, $1) AS i
        JOIN accounts p ON lower(p.username) = 'p' || lpad((1 + (i::bigint * 48271) % $2)::text, 7, '0')`,
      [personProjects, persons],
    );
    await step(
      'organization projects',
      `INSERT INTO projects (owner_id, name, description, is_public, is_featured, created_at)
      SELECT o.id, 'org-project-' || i, 'Campaign ' || i, i % 25 = 0, i % 400 = 0, now() - make_interval(mins => i)
        FROM generate_series(1, $1) AS i
        JOIN accounts o ON lower(o.username) = 'org' || lpad((1 + i % $2)::text, 5, '0')`,
      [orgProjects, organizations],
    );
    await step(
      'direct collaborators',
      `INSERT INTO project_collaborators (project_id, collaborator_id, role)
      SELECT p.id, c.id, (ARRAY['manager', 'editor', 'reporter', 'reader']::project_role[])[1 + abs(hashtext(p.id::text)) % 4]
        FROM projects p JOIN accounts o ON o.id = p.owner_id AND o.type = 1
        JOIN accounts c ON lower(c.username) = 'p' || lpad((1 + abs(hashtext(p.id::text)) % $1)::text, 7, '0')
       WHERE abs(hashtext(p.name)) % 5 = 0 AND c.id <> p.owner_id
      ON CONFLICT DO NOTHING`,
      [persons],
    );
    await step(
      'team collaborators',
      `INSERT INTO project_collaborators (project_id, collaborator_id, role)
      SELECT p.id, t.id, 'editor' FROM projects p
        JOIN accounts t ON t.team_organization_id = p.owner_id AND t.username LIKE '%/team' || (1 + abs(hashtext(p.name)) % $1)
       WHERE abs(hashtext(p.name)) % 10 = 0
      ON CONFLICT DO NOTHING`,
      [teamsPerOrganization],
    );
    await step(
      'files',
      `WITH f AS (
        INSERT INTO project_files (project_id, name)
        SELECT p.id, n.name FROM projects p CROSS JOIN (VALUES ('project.qgs'), ('data.gpkg')) AS n(name)
         WHERE abs(hashtext(p.id::text)) % 10 = 0
        RETURNING id, project_id, name)
      INSERT INTO file_versions (file_id, storage_key, size, md5, sha256)
      SELECT f.id, 'projects/' || f.project_id || '/' || f.id, CASE WHEN f.name = 'project.qgs' THEN 40000 ELSE 2000000 END,
             md5(f.id::text), encode(sha256(f.id::text::bytea), 'hex') FROM f`,
    );
    await step(
      'file accounting',
      `UPDATE projects p SET file_storage_bytes = s.bytes, the_qgis_file_name = 'project.qgs', data_last_updated_at = now()
        FROM (SELECT f.project_id, sum(v.size) AS bytes FROM project_files f JOIN file_versions v ON v.file_id = f.id GROUP BY f.project_id) s
       WHERE p.id = s.project_id`,
    );
    await seedBenchUsers(db);
    await step('analyze', `ANALYZE`);
    const [{ count }] = (await db.query(`SELECT count(*)::int AS count FROM projects`)).rows;
    console.log(`seeded ${count} projects, ${persons} persons, ${organizations} organizations in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.end();
    await stop();
  }
}

/** The accounts the benchmark acts as, each with a known token (bench-users.ts). */
async function seedBenchUsers(db: pg.Client): Promise<void> {
  const insertPerson = `INSERT INTO accounts (type, username, email, password_hash) VALUES (1, $1::text, $1::text || '@bench.example.com', 'scrypt$unusable') RETURNING id`;
  const few = (await db.query(insertPerson, [BENCH_USERS.fewProjects])).rows[0].id;
  await db.query(`INSERT INTO projects (owner_id, name, is_public) SELECT $1, 'mine-' || i, false FROM generate_series(1, 5) AS i`, [few]);
  // The admin of the organization owning the most projects: it sees 10k+ at 100k projects and up.
  const admin = (await db.query(insertPerson, [BENCH_USERS.organizationAdmin])).rows[0].id;
  const biggest = (
    await db.query(`SELECT owner_id FROM projects p JOIN accounts o ON o.id = p.owner_id AND o.type = 2 GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1`)
  ).rows[0].owner_id;
  await db.query(`UPDATE accounts SET organization_owner_id = $2 WHERE id = $1`, [biggest, admin]);
  await db.query(
    `INSERT INTO organization_members (organization_id, member_id, role)
    SELECT o.id, $1, 'admin' FROM accounts o WHERE o.type = 2 AND o.id <> $2 ORDER BY o.username LIMIT 40`,
    [admin, biggest],
  );
  for (const [username, id] of [
    [BENCH_USERS.fewProjects, few],
    [BENCH_USERS.organizationAdmin, admin],
  ]) {
    await db.query(`INSERT INTO auth_tokens (account_id, key_hash, client_type, expires_at) VALUES ($1, $2, 'sdk', now() + interval '30 days')`, [
      id,
      hashKey(benchToken(username)),
    ]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
