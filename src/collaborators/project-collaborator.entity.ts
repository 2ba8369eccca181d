import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Project } from '../projects/project.entity.js';
import { PROJECT_ROLES, type ProjectRole } from '../projects/roles/roles.js';

/** The `project_collaborators` table as the migrations make it: a person or team with a role on a project (spec §6.3). */
@Entity('project_collaborators')
@Index('project_collaborators_collaborator', ['collaboratorId', 'projectId'])
export class ProjectCollaborator {
  @PrimaryColumn({ name: 'project_id', type: 'uuid', primaryKeyConstraintName: 'project_collaborators_pkey' })
  @ForeignKey(() => Project, { name: 'project_collaborators_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  @PrimaryColumn({ name: 'collaborator_id', type: 'uuid', primaryKeyConstraintName: 'project_collaborators_pkey' })
  @ForeignKey(() => Account, { name: 'project_collaborators_collaborator_id_fkey', onDelete: 'CASCADE' })
  collaboratorId: string;

  @Column({ type: 'enum', enum: PROJECT_ROLES, enumName: 'project_role', default: 'reader' })
  role: ProjectRole;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  @ForeignKey(() => Account, { name: 'project_collaborators_created_by_id_fkey', onDelete: 'SET NULL' })
  createdById: string | null;

  @Column({ name: 'updated_by_id', type: 'uuid', nullable: true })
  @ForeignKey(() => Account, { name: 'project_collaborators_updated_by_id_fkey', onDelete: 'SET NULL' })
  updatedById: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
