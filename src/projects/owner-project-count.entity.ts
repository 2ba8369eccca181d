import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Per-owner project counts as append-only deltas, written by triggers on `projects` and folded per
 * owner by ProjectsRepository.compactOwnerCounts (migration OwnerProjectCounts): an owner's counts are
 * the sums of its rows. The covering index is declared by name, beyond TypeORM's index model.
 */
@Entity('owner_project_counts')
@Index('owner_project_counts_owner', { synchronize: false })
export class OwnerProjectCount {
  /** bigint: a string from pg. */
  @PrimaryColumn({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'owner_project_counts_pkey' })
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ type: 'integer' })
  projects: number;

  @Column({ name: 'public_projects', type: 'integer' })
  publicProjects: number;
}
