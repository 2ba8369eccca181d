import { ApiProperty } from '@nestjs/swagger';
import { DELTA_STATUSES, type DeltaStatus } from '../delta.entity.js';
import type { DeltaRow } from '../deltas.repository.js';

/** The `status` values QField accepts (spec §11.2); any other makes it reject the whole answer. */
const API_STATUSES = [
  'STATUS_PENDING',
  'STATUS_BUSY',
  'STATUS_APPLIED',
  'STATUS_CONFLICT',
  'STATUS_NOT_APPLIED',
  'STATUS_ERROR',
  'STATUS_IGNORED',
  'STATUS_UNPERMITTED',
] as const;
type ApiStatus = (typeof API_STATUSES)[number];

/** A stored status as the API's `status`: `STATUS_` + upper case, except `started`, which is busy. */
const apiStatus = (status: DeltaStatus): ApiStatus => (status === 'started' ? 'STATUS_BUSY' : (`STATUS_${status.toUpperCase()}` as ApiStatus));

/** A delta row of spec §11.2. */
export class DeltaResponse {
  @ApiProperty({ format: 'uuid', description: "The delta's `uuid`, as the device gave it" }) id: string;
  @ApiProperty({ format: 'uuid', description: 'The id of the delta file that first brought the delta' }) deltafile_id: string;
  @ApiProperty({ nullable: true, type: String, description: 'Username of who pushed it; null once that account is deleted' }) created_by: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ enum: API_STATUSES, description: '`STATUS_BUSY` while an apply job works on it' }) status: ApiStatus;
  @ApiProperty({ enum: DELTA_STATUSES, description: '`status` in lower case without its prefix (`started` for busy)' }) last_status: DeltaStatus;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'What the server says about the delta: `{msg, conflicts?, ...}`, e.g. why it waits, was refused or not applied',
  })
  last_feedback: object | null;
  @ApiProperty({ nullable: true, type: String, description: "The apply job's log for this delta" }) output: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The delta exactly as pushed, unknown keys included' }) content: object;
}

const iso = (date: Date) => new Date(date).toISOString();

export function toDeltaResponse(row: DeltaRow): DeltaResponse {
  return {
    id: row.id,
    deltafile_id: row.deltafile_id,
    created_by: row.created_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    status: apiStatus(row.status),
    last_status: row.status,
    last_feedback: row.last_feedback,
    output: row.output,
    content: row.content,
  };
}
