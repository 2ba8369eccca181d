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

/**
 * Collaborator rows with everything the object needs, in one statement (aliases: c the collaborator
 * row, a its account). `rest` adds conditions, ordering and paging.
 */
export function collaboratorsSql(rest: string): string {
  return `SELECT c.project_id, a.username AS collaborator, c.role::text AS role, cb.username AS created_by, ub.username AS updated_by,
                 c.created_at, c.updated_at
            FROM project_collaborators c
            JOIN accounts a ON a.id = c.collaborator_id
            LEFT JOIN accounts cb ON cb.id = c.created_by_id
            LEFT JOIN accounts ub ON ub.id = c.updated_by_id
           ${rest}`;
}

/** Case-insensitive on the name, then the account id: a stable order for pages. */
export const COLLABORATORS_ORDER = 'ORDER BY lower(a.username), a.id';

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
