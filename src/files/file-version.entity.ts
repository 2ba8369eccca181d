import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { ProjectFile } from './project-file.entity.js';

/**
 * The `file_versions` table as the migrations make it: the stored bytes of one upload of a file.
 * Its index on (file_id, created_at DESC, id) has a descending column and file_versions_without_etag
 * is partial, which TypeORM's index model cannot say: they are declared by name with
 * `synchronize: false`.
 */
@Entity('file_versions')
@Unique('file_versions_storage_key_key', ['storageKey'])
@Check('file_versions_size_check', `size >= 0`)
@Index('file_versions_file_newest', { synchronize: false })
@Index('file_versions_without_etag', { synchronize: false })
export class FileVersion {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'file_versions_pkey' })
  id: string;

  @Column({ name: 'file_id', type: 'uuid' })
  @ForeignKey(() => ProjectFile, { name: 'file_versions_file_id_fkey', onDelete: 'CASCADE' })
  fileId: string;

  @Column({ name: 'storage_key', type: 'text' })
  storageKey: string;

  /** bigint: a string from pg. */
  @Column({ type: 'bigint' })
  size: string;

  @Column({ type: 'char', length: 32 })
  md5: string;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  /** The S3-style ETag served as `md5sum` (s3-etag.ts); null for a large version stored before it existed, until FileEtagBackfill computes it. */
  @Column({ type: 'text', nullable: true })
  etag: string | null;

  /** X.Y.Z of a QGIS file's root element; null for other files. */
  @Column({ name: 'qgis_version', type: 'text', nullable: true })
  qgisVersion: string | null;

  @Column({ name: 'uploaded_by_id', type: 'uuid', nullable: true })
  @ForeignKey(() => Account, { name: 'file_versions_uploaded_by_id_fkey', onDelete: 'SET NULL' })
  uploadedById: string | null;

  /** clock_timestamp(), not now(): versions uploaded in one transaction still order. */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt: Date;
}
