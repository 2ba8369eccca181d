import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Project } from '../projects/project.entity.js';

export const JOB_TYPES = ['process_projectfile', 'package', 'delta_apply'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** `stopped` exists for QFieldCloud's clients and is never set (spec §10.1). */
export const JOB_STATUSES = ['pending', 'queued', 'started', 'finished', 'failed', 'stopped'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** While a job is in one of these, its project is `busy`. */
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['pending', 'queued', 'started'];

/** The worker's structured result (spec §13.2). */
export interface JobFeedback {
  feedback_version: string;
  steps: { id: string; name: string; stage: number; returns: Record<string, unknown> }[];
  outputs: Record<string, unknown>;
  error?: string;
  error_type?: 'TIMEOUT' | 'WORKER_LOST' | 'INVALID_PROJECT_FILE' | 'FILE_NOT_FOUND' | 'MISSING_QGIS' | 'UNKNOWN';
  error_stack?: string;
}

/**
 * A job (migration Jobs1765100000000). Its partial indexes (the queue's scans, at most one running job
 * per project, the active jobs of a project's `status`, leases, logs) are beyond TypeORM's index model:
 * they are declared by name with `synchronize: false`.
 */
@Entity('jobs')
@Check('jobs_type_check', `type IN ('process_projectfile', 'package', 'delta_apply')`)
@Check('jobs_status_check', `status IN ('pending', 'queued', 'started', 'finished', 'failed', 'stopped')`)
@Check('jobs_claimed', `(status IN ('queued', 'started')) = (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)`)
@Index('jobs_project_created', ['projectId', 'createdAt', 'id'])
@Index('jobs_pending', { synchronize: false })
@Index('jobs_one_running_per_project', { synchronize: false })
@Index('jobs_active', { synchronize: false })
@Index('jobs_leases', { synchronize: false })
@Index('jobs_logs', { synchronize: false })
// The latest successful package of a project (migration Packages1765300000000).
@Index('jobs_packages_finished', { synchronize: false })
export class Job {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'jobs_pkey' })
  id: string;

  @Column({ name: 'project_id', type: 'uuid' })
  @ForeignKey(() => Project, { name: 'jobs_project_id_fkey', onDelete: 'CASCADE' })
  projectId: string;

  @Column({ type: 'varchar', length: 32 })
  type: JobType;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: JobStatus;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  @ForeignKey(() => Account, { name: 'jobs_created_by_id_fkey', onDelete: 'SET NULL' })
  createdById: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  updatedAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  feedback: JobFeedback | null;

  @Column({ type: 'text', nullable: true })
  output: string | null;

  @Column({ name: 'worker_id', type: 'uuid', nullable: true })
  workerId: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt: Date | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;
}

/** A worker process's heartbeat, for GET /status/ (spec §9). */
@Entity('workers')
@Check('workers_qgis_status_check', `qgis_status IN ('ok', 'missing')`)
@Index('workers_last_seen', ['lastSeenAt'])
export class WorkerHeartbeat {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'workers_pkey' })
  id: string;

  @Column({ type: 'text' })
  hostname: string;

  @Column({ type: 'int' })
  pid: number;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt: Date;

  @Column({ name: 'qgis_status', type: 'varchar', length: 16 })
  qgisStatus: 'ok' | 'missing';

  @Column({ name: 'qgis_version', type: 'text', nullable: true })
  qgisVersion: string | null;

  @Column({ name: 'qgis_error', type: 'text', nullable: true })
  qgisError: string | null;
}
