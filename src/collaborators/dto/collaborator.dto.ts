import { ApiProperty } from '@nestjs/swagger';
import { PROJECT_ROLES, type ProjectRole } from '../../projects/roles/roles.js';

/** A collaborator of a project (spec §6.3), fields in this order. */
export class CollaboratorResponse {
  @ApiProperty({ format: 'uuid' }) project_id: string;
  @ApiProperty({ description: 'The person’s username, or "@organization/team" for a team', example: 'alice' }) collaborator: string;
  @ApiProperty({ enum: PROJECT_ROLES }) role: ProjectRole;
  @ApiProperty({ nullable: true, type: String, description: 'Who added the collaborator (null once that account is gone)' }) created_by: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Who last changed the collaborator (null once that account is gone)' }) updated_by: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export interface CollaboratorRow {
  project_id: string;
  collaborator: string;
  role: ProjectRole;
  created_by: string | null;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The explicit whitelist from a row to the API object. */
export function toCollaboratorResponse(row: CollaboratorRow): CollaboratorResponse {
  return {
    project_id: row.project_id,
    collaborator: row.collaborator,
    role: row.role,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
