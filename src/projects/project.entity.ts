import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import type { ProjectType } from './dto/project.dto.js';

/**
 * The `projects` table as the migrations make it. The list indexes on expressions (lower(name)),
 * partial (WHERE is_public) and covering (INCLUDE) ones are beyond TypeORM's index model: they are
 * declared by name with `synchronize: false`, so the schema diff leaves them alone. The triggers that
 * keep owner_name_lower and public_project_counts right live in the migrations too.
 */
@Entity('projects')
@Unique('projects_owner_name_key', ['ownerId', 'name'])
@Check('projects_name_check', `name ~ '^[A-Za-z0-9._-]+$'`)
@Check('projects_project_type_check', `project_type IN ('regular', 'template', 'shared_datasets')`)
@Check('projects_description_check', `length(description) <= 100000`)
@Check('projects_file_storage_bytes_check', `file_storage_bytes >= 0`)
@Check('projects_shared_datasets_name', `(project_type = 'shared_datasets') = (name = 'shared_datasets')`)
@Index('projects_owner_lower_name', { synchronize: false })
@Index('projects_featured', { synchronize: false })
@Index('projects_name_trgm', { synchronize: false })
@Index('projects_shared_datasets', { synchronize: false })
@Index('projects_owner_featured_name', { synchronize: false })
@Index('projects_owner_created_at', { synchronize: false })
@Index('projects_public_featured_owner_name', { synchronize: false })
@Index('projects_public_owner_name', { synchronize: false })
@Index('projects_public_name', { synchronize: false })
@Index('projects_public_created_at', { synchronize: false })
@Index('projects_public_owner', { synchronize: false })
export class Project {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'projects_pkey' })
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  @ForeignKey(() => Account, { name: 'projects_owner_id_fkey' })
  ownerId: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ name: 'project_type', type: 'varchar', length: 16, default: 'regular' })
  projectType: ProjectType;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ name: 'is_public', type: 'boolean', default: false })
  isPublic: boolean;

  @Column({ name: 'is_featured', type: 'boolean', default: false })
  isFeatured: boolean;

  @Column({ name: 'is_attachment_download_on_demand', type: 'boolean', default: false })
  isAttachmentDownloadOnDemand: boolean;

  @Column({ name: 'has_restricted_projectfiles', type: 'boolean', default: false })
  hasRestrictedProjectfiles: boolean;

  @Column({ name: 'overwrite_conflicts', type: 'boolean', default: true })
  overwriteConflicts: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'data_last_packaged_at', type: 'timestamptz', nullable: true })
  dataLastPackagedAt: Date | null;

  @Column({ name: 'data_last_updated_at', type: 'timestamptz', nullable: true })
  dataLastUpdatedAt: Date | null;

  @Column({ name: 'restricted_data_last_updated_at', type: 'timestamptz', nullable: true })
  restrictedDataLastUpdatedAt: Date | null;

  /** Every stored version of every file of the project (bigint: a string from pg). */
  @Column({ name: 'file_storage_bytes', type: 'bigint', default: 0 })
  fileStorageBytes: string;

  @Column({ name: 'the_qgis_file_name', type: 'text', nullable: true })
  theQgisFileName: string | null;

  /** X.Y.Z of the newest version of the QGIS file, kept by the file accounting. */
  @Column({ name: 'qgis_version', type: 'text', nullable: true })
  qgisVersion: string | null;

  @Column({ name: 'thumbnail_key', type: 'text', nullable: true })
  thumbnailKey: string | null;

  @Column({ name: 'thumbnail_content_type', type: 'varchar', length: 32, nullable: true })
  thumbnailContentType: string | null;

  @Column({ name: 'thumbnail_etag', type: 'varchar', length: 64, nullable: true })
  thumbnailEtag: string | null;

  /** The thumbnail was rendered by process_projectfile, so the next one may replace it; a person's may not. */
  @Column({ name: 'thumbnail_from_job', type: 'boolean', default: false })
  thumbnailFromJob: boolean;

  /** What the last successful process_projectfile found (spec §10.4); null before one or after one failed. */
  @Column({ name: 'project_details', type: 'jsonb', nullable: true })
  projectDetails: Record<string, unknown> | null;

  /** The owner's username, lower-cased, for index-ordered lists: set by a trigger on insert and transfer. */
  @Column({ name: 'owner_name_lower', type: 'text' })
  ownerNameLower: string;
}
