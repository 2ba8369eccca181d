import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { ValidateWhenPresent } from '../../common/validation.js';
import { PROJECT_ROLES, type ProjectRole } from '../../projects/roles/roles.js';

const ROLE_MESSAGE = `role must be one of: ${PROJECT_ROLES.join(', ')}`;

/** POST /collaborators/{projectId}/. */
export class AddCollaboratorBody {
  @ApiProperty({ description: 'A person’s username, or "@organization/team" for a team (case-insensitive)', example: 'alice' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  collaborator: string;

  @ApiPropertyOptional({ enum: PROJECT_ROLES, default: 'reader' })
  @ValidateWhenPresent()
  @IsIn(PROJECT_ROLES, { message: ROLE_MESSAGE })
  role?: ProjectRole;
}

/** PATCH and PUT /collaborators/{projectId}/{username}/: role is the one writable field (required by PUT). */
export class UpdateCollaboratorBody {
  @ApiPropertyOptional({ enum: PROJECT_ROLES, description: 'Required by PUT' })
  @ValidateWhenPresent()
  @IsIn(PROJECT_ROLES, { message: ROLE_MESSAGE })
  role?: ProjectRole;
}
