import { ApiProperty } from '@nestjs/swagger';
import { PROJECT_ROLES, ROLE_ORIGINS, type ProjectRole, type RoleOrigin } from '../roles/roles.js';

export const PROJECT_TYPES = ['regular', 'template', 'shared_datasets'] as const;
export type ProjectType = (typeof PROJECT_TYPES)[number];

/** The project object of spec §5.1, fields in this order. */
export class ProjectResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ pattern: '^[A-Za-z0-9._-]+$', minLength: 1, maxLength: 255, description: 'Unique per owner (case-sensitive)' }) name: string;
  @ApiProperty({ enum: PROJECT_TYPES, description: '`shared_datasets` comes only from the name' }) project_type: ProjectType;
  @ApiProperty({ description: "The owning person's or organization's username" }) owner: string;
  @ApiProperty({ maxLength: 100000, description: 'May be empty' }) description: string;
  @ApiProperty({ deprecated: true, description: 'Always the inverse of is_public' }) private: boolean;
  @ApiProperty({ description: 'Public projects are readable by every authenticated user' }) is_public: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', description: 'Moves only when a writable field or the owner actually changes' }) updated_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When packaged data was last produced; null while no packaging exists' })
  data_last_packaged_at: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Last upload or delete of a project file' }) data_last_updated_at:
    string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Last upload or delete of a restricted file: the QGIS file `<stem>.qgs/.qgz`, `<stem>.qgd`, `<stem>.qml`, `<stem>_attachments.zip`',
  })
  restricted_data_last_updated_at: string | null;
  @ApiProperty({ description: 'False for template projects' }) can_repackage: boolean;
  @ApiProperty({
    description:
      'False only when the project was processed and has no online layer (PostGIS, WFS…), both data timestamps are set, and the latest successful package job finished after data_last_updated_at',
  })
  needs_repackaging: boolean;
  @ApiProperty({
    enum: ['ok', 'busy', 'failed'],
    description:
      '`busy` while any job of the project is pending, queued or started; else `failed` when the project is not shared_datasets and has no QGIS file or its last process_projectfile failed (no project_details); else `ok`',
  })
  status: 'ok' | 'busy' | 'failed';
  @ApiProperty({
    enum: PROJECT_ROLES,
    nullable: true,
    type: String,
    description: "The caller's role (spec §6); null only in the answer to a transfer that left the caller without one",
  })
  user_role: ProjectRole | null;
  @ApiProperty({ enum: ROLE_ORIGINS, nullable: true, type: String, description: 'Where that role comes from' }) user_role_origin: RoleOrigin | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: "Id of the same owner's shared_datasets project, if any (may be itself)" })
  shared_datasets_project_id: string | null;
  @ApiProperty({ deprecated: true, description: 'project_type == "shared_datasets"' }) is_shared_datasets_project: boolean;
  @ApiProperty({ description: 'Featured projects come first in the default order' }) is_featured: boolean;
  @ApiProperty() is_attachment_download_on_demand: boolean;
  @ApiProperty({ description: 'When true only admins and managers may modify restricted files' }) has_restricted_projectfiles: boolean;
  @ApiProperty() overwrite_conflicts: boolean;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Sum of the sizes of every stored version of every project file' }) file_storage_bytes: number;
  @ApiProperty({ nullable: true, type: String, description: "Path of the project's single .qgs/.qgz file" }) the_qgis_file_name: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '3.22.16',
    description: 'X.Y.Z from the root <qgis version="…"> of the QGIS file, set on its upload; null without a QGIS file',
  })
  qgis_version: string | null;
}

/** GET /projects/{id}/: the project with what its last successful process_projectfile found (spec §10.4); lists leave it out. */
export class ProjectDetailResponse extends ProjectResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      '`{project_name, crs, extent, qgis_version, attachment_dirs, data_dirs, ordered_layer_ids, layers_by_id}` from the last successful process_projectfile; null before one, or after one failed',
  })
  project_details: Record<string, unknown> | null;
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
  qgis_version: string | null;
  /** Some job of the project is pending, queued or started. */
  busy: boolean;
  /** project_details is set: the last process_projectfile succeeded. */
  processed: boolean;
  /** Some layer of project_details reads no file (PostGIS, WFS…): its data may change unseen. */
  has_online_layers: boolean;
  /** When the newest successful package job finished. */
  last_package_finished_at: Date | null;
  /** Only where asked for (GET /projects/{id}/). */
  project_details?: Record<string, unknown> | null;
}

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());

/** Spec §5.1. */
function projectStatus(row: ProjectRow): ProjectResponse['status'] {
  if (row.busy) return 'busy';
  if (row.project_type !== 'shared_datasets' && (row.the_qgis_file_name === null || !row.processed)) return 'failed';
  return 'ok';
}

/** Spec §5.1: false only for a processed project without online layers, packaged after its data last changed. */
function needsRepackaging(row: ProjectRow): boolean {
  const packaged = row.last_package_finished_at;
  const updated = row.data_last_updated_at;
  if (!row.processed || row.has_online_layers || row.data_last_packaged_at === null || updated === null || packaged === null) return true;
  return new Date(packaged) <= new Date(updated);
}

export function toProjectDetailResponse(row: ProjectRow): ProjectDetailResponse {
  return { ...toProjectResponse(row), project_details: row.project_details ?? null };
}

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
    needs_repackaging: needsRepackaging(row),
    status: projectStatus(row),
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
    qgis_version: row.qgis_version,
  };
}
