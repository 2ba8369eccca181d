import { Column, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Project } from '../projects/project.entity.js';

/** The `project_files` table as the migrations make it: one row per path in a project (spec §8), its versions in `file_versions`. */
@Entity('project_files')
@Unique('project_files_project_name_key', ['projectId', 'name'])
export class ProjectFile {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'project_files_pkey' })
  id: string;

  @Column({ name: 'project_id', type: 'uuid' })
  @ForeignKey(() => Project, { name: 'project_files_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  @Column({ type: 'varchar', length: 1024 })
  name: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
