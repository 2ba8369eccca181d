import { ApiProperty } from '@nestjs/swagger';
import { PROJECT_ROLES, ROLE_ORIGINS, type ProjectRole, type RoleOrigin } from '../roles/roles.js';

export const PROJECT_TYPES = ['regular', 'template', 'shared_datasets'] as const;
export type ProjectType = (typeof PROJECT_TYPES)[number];

/** The project object of spec §5.1, fields in this order. */
export class ProjectResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ pattern: '^[A-Za-z0-9._-]+$', maxLength: 255 }) name: string;
  @ApiProperty({ enum: PROJECT_TYPES }) project_type: ProjectType;
  @ApiProperty({ description: "The owning person's or organization's username" }) owner: string;
  @ApiProperty({ maxLength: 100000 }) description: string;
  @ApiProperty({ deprecated: true, description: 'Always the inverse of is_public' }) private: boolean;
  @ApiProperty() is_public: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) data_last_packaged_at: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) data_last_updated_at: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) restricted_data_last_updated_at: string | null;
  @ApiProperty() can_repackage: boolean;
  @ApiProperty() needs_repackaging: boolean;
  @ApiProperty({ enum: ['ok', 'busy', 'failed'] }) status: 'ok' | 'busy' | 'failed';
  @ApiProperty({ enum: PROJECT_ROLES, nullable: true, type: String }) user_role: ProjectRole | null;
  @ApiProperty({ enum: ROLE_ORIGINS, nullable: true, type: String }) user_role_origin: RoleOrigin | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) shared_datasets_project_id: string | null;
  @ApiProperty({ deprecated: true }) is_shared_datasets_project: boolean;
  @ApiProperty() is_featured: boolean;
  @ApiProperty() is_attachment_download_on_demand: boolean;
  @ApiProperty() has_restricted_projectfiles: boolean;
  @ApiProperty() overwrite_conflicts: boolean;
  @ApiProperty({ type: 'integer' }) file_storage_bytes: number;
  @ApiProperty({ nullable: true, type: String }) the_qgis_file_name: string | null;
}

/** The columns a project object is built from (aliases: p project, o owner, r role, sd shared datasets project). */
const PROJECT_COLUMNS = `p.id, p.name, p.project_type, o.username AS owner, p.description, p.is_public, p.created_at, p.updated_at,
  p.data_last_packaged_at, p.data_last_updated_at, p.restricted_data_last_updated_at, r.role, r.origin, sd.id AS shared_datasets_project_id,
  p.is_featured, p.is_attachment_download_on_demand, p.has_restricted_projectfiles, p.overwrite_conflicts, p.file_storage_bytes, p.the_qgis_file_name`;

const RELATED = `JOIN accounts o ON o.id = p.owner_id
  LEFT JOIN projects sd ON sd.owner_id = p.owner_id AND sd.project_type = 'shared_datasets'`;

/** The role rows with the sort keys they carry, as `p`-shaped rows (id, name, owner_id, is_featured, created_at) for filters and orderings. */
export const visibleProjectsSql = (roles: string) =>
  `SELECT r.project_id AS id, r.role, r.origin, r.owner_id, r.name, r.is_featured, r.created_at FROM (${roles}) r`;

/**
 * A page of the projects that have a row in `roles` (the role SQL), with everything the object needs,
 * in one statement. The page is chosen first from ids and sort keys only, and the details (the shared
 * datasets project above all) are joined for its rows alone, not for every visible project.
 */
export function projectsWithRoleSql(roles: string, page: { where: string; orderBy: string; limitOffset: string }): string {
  return `
    SELECT ${PROJECT_COLUMNS}
      FROM (SELECT p.id AS page_id, p.role, p.origin
              FROM (${visibleProjectsSql(roles)}) p JOIN accounts o ON o.id = p.owner_id
             ${page.where} ${page.orderBy} ${page.limitOffset}) r
      JOIN projects p ON p.id = r.page_id ${RELATED}
     ${page.orderBy}`;
}

/** One project whether or not the caller has a role on it (null role fields then). */
export function projectMaybeWithRoleSql(roles: string, rest: string): string {
  return `SELECT ${PROJECT_COLUMNS} FROM projects p LEFT JOIN (${roles}) r ON r.project_id = p.id ${RELATED} ${rest}`;
}

export interface ProjectRow {
  id: string;
  name: string;
  project_type: ProjectType;
  owner: string;
  description: string;
  is_public: boolean;
  created_at: Date;
  updated_at: Date;
  data_last_packaged_at: Date | null;
  data_last_updated_at: Date | null;
  restricted_data_last_updated_at: Date | null;
  role: ProjectRole | null;
  origin: RoleOrigin | null;
  shared_datasets_project_id: string | null;
  is_featured: boolean;
  is_attachment_download_on_demand: boolean;
  has_restricted_projectfiles: boolean;
  overwrite_conflicts: boolean;
  file_storage_bytes: string | number;
  the_qgis_file_name: string | null;
}

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());

export function toProjectResponse(row: ProjectRow): ProjectResponse {
  const packaged = row.data_last_packaged_at;
  const updated = row.data_last_updated_at;
  return {
    id: row.id,
    name: row.name,
    project_type: row.project_type,
    owner: row.owner,
    description: row.description,
    private: !row.is_public,
    is_public: row.is_public,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    data_last_packaged_at: iso(packaged),
    data_last_updated_at: iso(updated),
    restricted_data_last_updated_at: iso(row.restricted_data_last_updated_at),
    can_repackage: row.project_type !== 'template',
    needs_repackaging: !(packaged !== null && updated !== null && new Date(packaged) >= new Date(updated)),
    // `busy` needs background work on projects, which does not exist yet.
    status: row.the_qgis_file_name === null && row.project_type !== 'shared_datasets' ? 'failed' : 'ok',
    user_role: row.role,
    user_role_origin: row.origin,
    shared_datasets_project_id: row.shared_datasets_project_id,
    is_shared_datasets_project: row.project_type === 'shared_datasets',
    is_featured: row.is_featured,
    is_attachment_download_on_demand: row.is_attachment_download_on_demand,
    has_restricted_projectfiles: row.has_restricted_projectfiles,
    overwrite_conflicts: row.overwrite_conflicts,
    file_storage_bytes: Number(row.file_storage_bytes),
    the_qgis_file_name: row.the_qgis_file_name,
  };
}
