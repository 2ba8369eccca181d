import { Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { Job } from '../jobs/job.entity.js';
import { Project } from '../projects/project.entity.js';

/**
 * The `package_files` table (migration Packages1765300000000): the files one successful package job
 * stored. `superseded_at` is set once a newer package succeeded; its partial index is declared by name
 * with `synchronize: false`, beyond TypeORM's index model.
 */
@Entity('package_files')
@Unique('package_files_storage_key_key', ['storageKey'])
@Index('package_files_project', ['projectId'])
@Index('package_files_superseded', { synchronize: false })
export class PackageFile {
  @PrimaryColumn({ name: 'job_id', type: 'uuid', primaryKeyConstraintName: 'package_files_pkey' })
  @ForeignKey(() => Job, { name: 'package_files_job_id_fkey', onDelete: 'CASCADE' })
  jobId: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'package_files_pkey' })
  name: string;

  @Column({ name: 'project_id', type: 'uuid' })
  @ForeignKey(() => Project, { name: 'package_files_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  /** bigint: a string from pg. */
  @Column({ type: 'bigint' })
  size: string;

  @Column({ type: 'text' })
  md5: string;

  @Column({ type: 'text' })
  sha256: string;

  @Column({ name: 'storage_key', type: 'text' })
  storageKey: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'superseded_at', type: 'timestamptz', nullable: true })
  supersededAt: Date | null;
}
