import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Projects, and every table the role computation of spec §6 reads: organization columns on accounts,
 * organization members, team members and project collaborators. The Organizations module fills the
 * membership tables; the role SQL (src/projects/roles/project-roles.sql.ts) reads all of them today.
 */
export class ProjectsAndRoles1764403200000 implements MigrationInterface {
  name = 'ProjectsAndRoles1764403200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TYPE project_role AS ENUM ('admin', 'manager', 'editor', 'reporter', 'reader')`);
    await db.query(`CREATE TYPE membership_role AS ENUM ('admin', 'creator', 'member')`);

    // Organizations (type 2) have an owner and a default role for members; teams (type 3) belong to an organization.
    await db.query(`
      ALTER TABLE accounts
        ADD COLUMN organization_owner_id uuid REFERENCES accounts (id),
        ADD COLUMN default_project_role_for_members project_role,
        ADD COLUMN team_organization_id uuid REFERENCES accounts (id) ON DELETE CASCADE,
        ADD CONSTRAINT accounts_organization_owner CHECK ((type = 2) = (organization_owner_id IS NOT NULL)),
        ADD CONSTRAINT accounts_team_organization CHECK ((type = 3) = (team_organization_id IS NOT NULL))`);
    await db.query(`CREATE INDEX accounts_organization_owner ON accounts (organization_owner_id) WHERE organization_owner_id IS NOT NULL`);
    await db.query(`CREATE INDEX accounts_team_organization ON accounts (team_organization_id) WHERE team_organization_id IS NOT NULL`);

    await db.query(`
      CREATE TABLE organization_members (
        organization_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        member_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        role membership_role NOT NULL DEFAULT 'member',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, member_id)
      )`);
    await db.query(`CREATE INDEX organization_members_member ON organization_members (member_id, organization_id)`);

    await db.query(`
      CREATE TABLE team_members (
        team_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        member_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (team_id, member_id)
      )`);
    await db.query(`CREATE INDEX team_members_member ON team_members (member_id, team_id)`);

    await db.query(`
      CREATE TABLE projects (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES accounts (id),
        name varchar(255) NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]+$'),
        project_type varchar(16) NOT NULL DEFAULT 'regular' CHECK (project_type IN ('regular', 'template', 'shared_datasets')),
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 100000),
        is_public boolean NOT NULL DEFAULT false,
        is_featured boolean NOT NULL DEFAULT false,
        is_attachment_download_on_demand boolean NOT NULL DEFAULT false,
        has_restricted_projectfiles boolean NOT NULL DEFAULT false,
        overwrite_conflicts boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        data_last_packaged_at timestamptz,
        data_last_updated_at timestamptz,
        restricted_data_last_updated_at timestamptz,
        file_storage_bytes bigint NOT NULL DEFAULT 0 CHECK (file_storage_bytes >= 0),
        the_qgis_file_name text,
        thumbnail_key text,
        thumbnail_content_type varchar(32),
        thumbnail_etag varchar(64),
        CONSTRAINT projects_owner_name_key UNIQUE (owner_id, name),
        CONSTRAINT projects_shared_datasets_name CHECK ((project_type = 'shared_datasets') = (name = 'shared_datasets'))
      )`);
    // Filters and orderings of GET /projects/ (spec §5.2): owner and name compare case-insensitively.
    await db.query(`CREATE INDEX projects_owner_lower_name ON projects (owner_id, lower(name), id)`);
    await db.query(`CREATE INDEX projects_lower_name ON projects (lower(name), id)`);
    await db.query(`CREATE INDEX projects_created_at ON projects (created_at, id)`);
    await db.query(`CREATE INDEX projects_featured ON projects (id) WHERE is_featured`);
    await db.query(`CREATE INDEX projects_public ON projects (id) WHERE is_public`);
    await db.query(`CREATE INDEX projects_name_trgm ON projects USING gin (lower(name) gin_trgm_ops)`);

    await db.query(`
      CREATE TABLE project_collaborators (
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        collaborator_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        role project_role NOT NULL DEFAULT 'reader',
        created_by_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
        updated_by_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (project_id, collaborator_id)
      )`);
    await db.query(`CREATE INDEX project_collaborators_collaborator ON project_collaborators (collaborator_id, project_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE project_collaborators`);
    await db.query(`DROP TABLE projects`);
    await db.query(`DROP TABLE team_members`);
    await db.query(`DROP TABLE organization_members`);
    await db.query(`ALTER TABLE accounts DROP COLUMN team_organization_id, DROP COLUMN default_project_role_for_members, DROP COLUMN organization_owner_id`);
    await db.query(`DROP TYPE membership_role`);
    await db.query(`DROP TYPE project_role`);
  }
}
