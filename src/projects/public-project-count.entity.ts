import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The number of public projects, spread over 16 shards (a project's id picks one) and kept by
 * triggers on `projects` (migration PublicProjectCounts); the total is their sum.
 */
@Entity('public_project_counts')
export class PublicProjectCount {
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'public_project_counts_pkey' })
  shard: number;

  @Column({ type: 'bigint' })
  projects: string;
}
