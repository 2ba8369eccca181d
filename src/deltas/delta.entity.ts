import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Job } from '../jobs/job.entity.js';
import { Project } from '../projects/project.entity.js';

/**
 * A delta's status as stored: the `last_status` of spec §11.2 (`started` is STATUS_BUSY). The API
 * shows `status` as `STATUS_` + the upper-cased value, except `started`.
 */
export const DELTA_STATUSES = ['pending', 'started', 'applied', 'conflict', 'not_applied', 'error', 'ignored', 'unpermitted'] as const;
export type DeltaStatus = (typeof DELTA_STATUSES)[number];

/**
 * A delta pushed from the field (migration Deltas1765400000000). The partial and expression indexes
 * (unassigned pending deltas, a job's deltas, created features) are declared by name with
 * `synchronize: false`, beyond TypeORM's index model.
 */
@Entity('deltas')
@Check('deltas_status_check', `status IN ('pending', 'started', 'applied', 'conflict', 'not_applied', 'error', 'ignored', 'unpermitted')`)
@Unique('deltas_seq_key', ['seq'])
@Index('deltas_project_created', ['projectId', 'createdAt', 'seq'])
@Index('deltas_deltafile', ['deltafileId', 'seq'])
@Index('deltas_unassigned', { synchronize: false })
@Index('deltas_job', { synchronize: false })
@Index('deltas_created_features', { synchronize: false })
export class Delta {
  /** The `uuid` the device gave the delta. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'deltas_pkey' })
  id: string;

  /** Push order. bigint: a string from pg. */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' })
  seq: string;

  @Column({ name: 'deltafile_id', type: 'uuid' })
  deltafileId: string;

  @Column({ name: 'project_id', type: 'uuid' })
  @ForeignKey(() => Project, { name: 'deltas_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  @ForeignKey(() => Account, { name: 'deltas_created_by_id_fkey', onDelete: 'SET NULL' })
  createdById: string | null;

  @Column({ name: 'client_id', type: 'text' })
  clientId: string;

  @Column({ type: 'jsonb' })
  content: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: DeltaStatus;

  @Column({ name: 'last_feedback', type: 'jsonb', nullable: true })
  lastFeedback: Record<string, unknown> | null;

  @Column({ name: 'modified_pk', type: 'text', nullable: true })
  modifiedPk: string | null;

  @Column({ type: 'text', nullable: true })
  output: string | null;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  @ForeignKey(() => Job, { name: 'deltas_job_id_fkey', onDelete: 'SET NULL' })
  jobId: string | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  updatedAt: Date;
}

/** A delta file refused as invalid (spec §11.2), kept whole for the operator. */
@Entity('rejected_deltafiles')
@Index('rejected_deltafiles_project', ['projectId', 'createdAt'])
export class RejectedDeltafile {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'rejected_deltafiles_pkey' })
  id: string;

  @Column({ name: 'project_id', type: 'uuid' })
  @ForeignKey(() => Project, { name: 'rejected_deltafiles_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  @ForeignKey(() => Account, { name: 'rejected_deltafiles_created_by_id_fkey', onDelete: 'SET NULL' })
  createdById: string | null;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'bytea' })
  body: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
