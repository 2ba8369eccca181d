import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { hashKey } from '../../src/auth/auth-tokens.service.js';
import type { Role } from './authz-rules.js';
import type { TestApp } from './test-app.js';
import { TINY_PNG } from './kit.js';

// Batched SQL fixtures for the authorization sweep: hundreds of persons, organizations, teams,
// projects, collaborator rows, files and thumbnails in a handful of statements, so that every cell of
// the sweep can act on an object of its own. The rows have the shapes the API would write (spec §4,
// §5, §6.3, §8); the stored bytes go through the app's own storage, whichever the driver.

export interface OrganizationFixture {
  name: string;
  owner: string;
  members: [username: string, role: 'admin' | 'creator' | 'member'][];
  defaultRole?: Role | null;
  /** Short team names and their members (persons that are the owner or members). */
  teams: { name: string; members: string[] }[];
}

export interface ProjectFixture {
  name: string;
  owner: string;
  isPublic: boolean;
  hasRestrictedProjectfiles: boolean;
  /** Persons, or teams as `@org/team`. */
  collaborators: [username: string, role: Role][];
  /** `data.txt`, and the QGIS file `project.qgs` with its restricted `project.qgd`. */
  files: boolean;
  thumbnail: boolean;
  /** A pending process_projectfile job (spec §10). */
  job?: boolean;
  /** A finished package job whose package holds `data.gpkg` (spec §12). */
  package?: boolean;
  /** A pending delta no apply job holds (spec §11), pushed with a delta file whose id is the project's own. */
  deltas?: boolean;
}

/** The content of the package file of `package` fixtures. */
export const FIXTURE_PACKAGE_FILE = 'packaged data';

/** The file names `files` stores, and their content. */
export const FIXTURE_FILES: Record<string, string> = {
  'project.qgs': '<qgis version="3.40.0"/>',
  'project.qgd': 'project data',
  'data.txt': 'field data',
};

/** At most `limit` of the tasks at a time. */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function authzFixtures(t: TestApp) {
  return {
    /** Persons (type 1), without a password: they act through tokens from `tokens`. */
    async persons(names: string[]): Promise<void> {
      await t.sql(`INSERT INTO accounts (type, username, email) SELECT 1, n, lower(n) || '@example.com' FROM unnest($1::text[]) n`, [names]);
    },

    /** A fresh live token per person (as a login by the SDK would issue: hashed, many per user allowed); with `expired`, one that has expired. */
    async tokens(usernames: string[], expired = false): Promise<Record<string, string>> {
      const keys = usernames.map(() => randomBytes(96).toString('base64url'));
      const rows = await t.sql<{ username: string }>(
        `INSERT INTO auth_tokens (account_id, key_hash, client_type, user_agent, expires_at)
         SELECT a.id, x.hash, 'sdk', 'sdk|authz-sweep', now() + CASE WHEN $3 THEN interval '-1 minute' ELSE interval '1 day' END
           FROM unnest($1::text[], $2::text[]) AS x(username, hash) JOIN accounts a ON a.username = x.username
         RETURNING (SELECT username FROM accounts WHERE id = account_id)`,
        [usernames, keys.map(hashKey), expired],
      );
      if (rows.length !== usernames.length) throw new Error(`tokens: ${usernames.length - rows.length} of the persons do not exist`);
      return Object.fromEntries(usernames.map((name, i) => [name, keys[i]]));
    },

    /** Organizations (type 2) with their members, default role, teams (type 3 `@org/team`) and team members. */
    async organizations(orgs: OrganizationFixture[]): Promise<void> {
      await t.sql(
        `INSERT INTO accounts (type, username, organization_owner_id, default_project_role_for_members)
         SELECT 2, x.name, o.id, x.role FROM unnest($1::text[], $2::text[], $3::project_role[]) AS x(name, owner, role)
           JOIN accounts o ON o.username = x.owner`,
        [orgs.map((o) => o.name), orgs.map((o) => o.owner), orgs.map((o) => o.defaultRole ?? null)],
      );
      const members = orgs.flatMap((o) => o.members.map(([member, role]) => [o.name, member, role]));
      await t.sql(
        `INSERT INTO organization_members (organization_id, member_id, role)
         SELECT o.id, m.id, x.role FROM unnest($1::text[], $2::text[], $3::membership_role[]) AS x(org, member, role)
           JOIN accounts o ON o.username = x.org JOIN accounts m ON m.username = x.member`,
        [members.map((m) => m[0]), members.map((m) => m[1]), members.map((m) => m[2])],
      );
      const teams = orgs.flatMap((o) => o.teams.map((team) => [o.name, `@${o.name}/${team.name}`]));
      await t.sql(
        `INSERT INTO accounts (type, username, team_organization_id)
         SELECT 3, x.team, o.id FROM unnest($1::text[], $2::text[]) AS x(org, team) JOIN accounts o ON o.username = x.org`,
        [teams.map((team) => team[0]), teams.map((team) => team[1])],
      );
      const teamMembers = orgs.flatMap((o) => o.teams.flatMap((team) => team.members.map((member) => [`@${o.name}/${team.name}`, member])));
      await t.sql(
        `INSERT INTO team_members (team_id, member_id)
         SELECT team.id, m.id FROM unnest($1::text[], $2::text[]) AS x(team, member)
           JOIN accounts team ON team.username = x.team JOIN accounts m ON m.username = x.member`,
        [teamMembers.map((m) => m[0]), teamMembers.map((m) => m[1])],
      );
    },

    /** Projects with their collaborators, files and thumbnail; returns their ids by name (names are unique across owners here). */
    async projects(projects: ProjectFixture[]): Promise<Map<string, string>> {
      const rows = await t.sql<{ id: string; name: string }>(
        `INSERT INTO projects (owner_id, name, is_public, has_restricted_projectfiles)
         SELECT o.id, x.name, x.public, x.restricted FROM unnest($1::text[], $2::text[], $3::boolean[], $4::boolean[]) AS x(owner, name, public, restricted)
           JOIN accounts o ON o.username = x.owner
         RETURNING id, name`,
        [projects.map((p) => p.owner), projects.map((p) => p.name), projects.map((p) => p.isPublic), projects.map((p) => p.hasRestrictedProjectfiles)],
      );
      const ids = new Map(rows.map((row) => [row.name, row.id]));
      if (ids.size !== projects.length) throw new Error(`projects: ${projects.length - ids.size} were not created (unknown owner?)`);

      const collaborators = projects.flatMap((p) => p.collaborators.map(([who, role]) => [ids.get(p.name)!, who, role]));
      const added = await t.sql(
        `INSERT INTO project_collaborators (project_id, collaborator_id, role, created_by_id, updated_by_id)
         SELECT x.project::uuid, c.id, x.role, p.owner_id, p.owner_id FROM unnest($1::text[], $2::text[], $3::project_role[]) AS x(project, who, role)
           JOIN accounts c ON c.username = x.who JOIN projects p ON p.id = x.project::uuid
         RETURNING project_id`,
        [collaborators.map((c) => c[0]), collaborators.map((c) => c[1]), collaborators.map((c) => c[2])],
      );
      if (added.length !== collaborators.length) throw new Error(`collaborators: ${collaborators.length - added.length} were not added (unknown account?)`);

      // Files: one version each, its bytes in storage under the key an upload would use.
      const versions = projects
        .filter((p) => p.files)
        .flatMap((p) =>
          Object.entries(FIXTURE_FILES).map(([name, content]) => {
            const id = ids.get(p.name)!;
            const bytes = Buffer.from(content);
            return {
              project: id,
              name,
              bytes,
              key: `projects/${id}/${randomUUID()}`,
              md5: createHash('md5').update(bytes).digest('hex'),
              sha256: createHash('sha256').update(bytes).digest('hex'),
            };
          }),
        );
      const thumbnails = projects
        .filter((p) => p.thumbnail)
        .map((p) => ({ project: ids.get(p.name)!, key: `thumbnails/${ids.get(p.name)}/${randomUUID()}.png` }));
      await inBatches([...versions, ...thumbnails], 16, (object) => t.storage.put(object.key, Readable.from(['bytes' in object ? object.bytes : TINY_PNG])));
      await t.sql(
        `WITH x AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS x(project, name, key, size, md5, sha256)),
              f AS (INSERT INTO project_files (project_id, name) SELECT project, name FROM x RETURNING id, project_id, name)
         INSERT INTO file_versions (file_id, storage_key, size, md5, sha256)
         SELECT f.id, x.key, x.size, x.md5, x.sha256 FROM x JOIN f ON f.project_id = x.project AND f.name = x.name`,
        [
          versions.map((v) => v.project),
          versions.map((v) => v.name),
          versions.map((v) => v.key),
          versions.map((v) => v.bytes.length),
          versions.map((v) => v.md5),
          versions.map((v) => v.sha256),
        ],
      );
      // What an upload keeps up to date in the same transaction (spec §8).
      await t.sql(
        `UPDATE projects p SET the_qgis_file_name = 'project.qgs', data_last_updated_at = now(), restricted_data_last_updated_at = now(),
                file_storage_bytes = (SELECT sum(v.size) FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = p.id)
          WHERE p.id = ANY($1::uuid[])`,
        [[...new Set(versions.map((v) => v.project))]],
      );
      await t.sql(
        `UPDATE projects p SET thumbnail_key = x.key, thumbnail_content_type = 'image/png', thumbnail_etag = $3
           FROM unnest($1::uuid[], $2::text[]) AS x(project, key) WHERE p.id = x.project`,
        [thumbnails.map((th) => th.project), thumbnails.map((th) => th.key), createHash('md5').update(TINY_PNG).digest('hex')],
      );
      await t.sql(`INSERT INTO jobs (project_id, type) SELECT unnest($1::uuid[]), 'process_projectfile'`, [
        projects.filter((p) => p.job).map((p) => ids.get(p.name)),
      ]);
      const packaged = await t.sql<{ id: string; project_id: string }>(
        `INSERT INTO jobs (project_id, type, status, started_at, finished_at, feedback)
         SELECT unnest($1::uuid[]), 'package', 'finished', now(), now(), '{"feedback_version": "2.0", "steps": [], "outputs": {}}'::jsonb RETURNING id, project_id`,
        [projects.filter((p) => p.package).map((p) => ids.get(p.name))],
      );
      const packageBytes = Buffer.from(FIXTURE_PACKAGE_FILE);
      const packageKeys = packaged.map((job) => `packages/${job.project_id}/${job.id}/data.gpkg`);
      await inBatches(packageKeys, 16, (key) => t.storage.put(key, Readable.from([packageBytes])));
      await t.sql(
        `INSERT INTO package_files (job_id, project_id, name, size, md5, sha256, storage_key)
         SELECT x.job, x.project, 'data.gpkg', $3, $4, $5, x.key FROM unnest($1::uuid[], $2::uuid[], $6::text[]) AS x(job, project, key)`,
        [
          packaged.map((job) => job.id),
          packaged.map((job) => job.project_id),
          packageBytes.length,
          createHash('md5').update(packageBytes).digest('hex'),
          createHash('sha256').update(packageBytes).digest('hex'),
          packageKeys,
        ],
      );
      await t.sql(`UPDATE projects p SET data_last_packaged_at = now() WHERE p.id = ANY($1::uuid[])`, [packaged.map((job) => job.project_id)]);
      await t.sql(
        `INSERT INTO deltas (id, deltafile_id, project_id, client_id, content)
         SELECT gen_random_uuid(), p, p, 'authz-device', '{"method": "create", "new": {"attributes": {}}}'::jsonb FROM unnest($1::uuid[]) p`,
        [projects.filter((p) => p.deltas).map((p) => ids.get(p.name))],
      );
      return ids;
    },

    /**
     * A fingerprint of each project (its row, collaborators, files and versions, jobs), by name (the sweep's
     * names are unique across owners), or 'gone': a refused request must change none.
     */
    async projectFingerprints(names: string[]): Promise<Map<string, string>> {
      const rows = await t.sql<{ name: string; print: string }>(
        `SELECT p.name, md5(to_jsonb(p)::text
                 || coalesce((SELECT string_agg(c.collaborator_id || ':' || c.role || ':' || c.updated_at, ',' ORDER BY c.collaborator_id) FROM project_collaborators c WHERE c.project_id = p.id), '')
                 || coalesce((SELECT string_agg(f.name || ':' || v.id, ',' ORDER BY f.name, v.id) FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = p.id), '')
                 || coalesce((SELECT string_agg(j.id::text, ',' ORDER BY j.id) FROM jobs j WHERE j.project_id = p.id), '')) AS print
           FROM projects p WHERE p.name = ANY($1::text[])`,
        [names],
      );
      const prints = new Map(rows.map((row) => [row.name, row.print]));
      return new Map(names.map((name) => [name, prints.get(name) ?? 'gone']));
    },

    /** The same for accounts: the row, and for an organization its members, teams and team members. */
    async accountFingerprints(names: string[]): Promise<Map<string, string>> {
      const rows = await t.sql<{ username: string; print: string }>(
        `SELECT o.username, md5(to_jsonb(o)::text
                 || coalesce((SELECT string_agg(m.member_id || ':' || m.role, ',' ORDER BY m.member_id) FROM organization_members m WHERE m.organization_id = o.id), '')
                 || coalesce((SELECT string_agg(team.username || ':' || coalesce(tm.member_id::text, ''), ',' ORDER BY team.username, tm.member_id)
                                FROM accounts team LEFT JOIN team_members tm ON tm.team_id = team.id WHERE team.team_organization_id = o.id), '')) AS print
           FROM accounts o WHERE o.username = ANY($1::text[])`,
        [names],
      );
      const prints = new Map(rows.map((row) => [row.username, row.print]));
      return new Map(names.map((name) => [name, prints.get(name) ?? 'gone']));
    },
  };
}
