import { ApiProperty } from '@nestjs/swagger';
import { JOB_STATUSES, JOB_TYPES, type JobStatus, type JobType } from '../job.entity.js';
import type { JobRow } from '../jobs.repository.js';

/** The job object of spec §10.1, as lists show it. */
export class JobResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the worker started it; null until then' }) started_at: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When it ended (finished or failed); null until then' }) finished_at:
    string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Username of who created it; null for jobs the server made itself' }) created_by: string | null;
  @ApiProperty({ format: 'uuid' }) project_id: string;
  @ApiProperty({ enum: JOB_STATUSES, description: '`pending` → `queued` (claimed by a worker) → `started` → `finished` | `failed`; `stopped` is never set' })
  status: JobStatus;
  @ApiProperty({ enum: JOB_TYPES }) type: JobType;
}

/** GET /jobs/{id}/: the job with the worker's feedback and log. */
export class JobDetailResponse extends JobResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      "The worker's structured result: `{feedback_version, steps, outputs, error?, error_type?, error_stack?}`; `error_type` one of TIMEOUT, WORKER_LOST, INVALID_PROJECT_FILE, FILE_NOT_FOUND, MISSING_QGIS, UNKNOWN",
  })
  feedback: object | null;
  @ApiProperty({ nullable: true, type: String, description: "The worker's log; cleared after JOB_LOG_RETENTION_DAYS" }) output: string | null;
}

/** What POST /jobs/ answers: the job, and whether it is new (201) or an active one (200). */
export interface CreatedJob {
  job: JobResponse;
  created: boolean;
}

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());

export function toJobResponse(row: JobRow): JobResponse {
  return {
    id: row.id,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    created_by: row.created_by,
    project_id: row.project_id,
    status: row.status,
    type: row.type,
  };
}

export function toJobDetailResponse(row: JobRow): JobDetailResponse {
  return { ...toJobResponse(row), feedback: row.feedback, output: row.output };
}
