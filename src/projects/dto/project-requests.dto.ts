import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { EmptyAsNull, ToBoolean, ValidateWhenPresent } from '../../common/validation.js';
import { PROJECT_TYPES, type ProjectType } from './project.dto.js';

/** A boolean body or query field: true/false, True/False, 1/0; empty means absent. */
const OptionalBoolean = () => (target: object, key: string) => {
  EmptyAsNull()(target, key);
  ToBoolean()(target, key);
  ValidateIf((_: unknown, value: unknown) => value !== null && value !== undefined)(target, key);
  IsBoolean({ message: `${key} must be a boolean (true/false, 1/0)` })(target, key);
};

const BOOLEAN_INPUT = 'true/false, True/False or 1/0 (JSON or string); null or empty: not given';

/** The writable fields of a project (spec §5.1), shared by create and update. */
export class ProjectFields {
  @ApiPropertyOptional({ maxLength: 100000, description: 'May be empty' })
  @ValidateWhenPresent()
  @IsString()
  @MaxLength(100000)
  description?: string;

  @ApiPropertyOptional({ type: Boolean, nullable: true, description: `${BOOLEAN_INPUT}; on create default false` })
  @OptionalBoolean()
  is_public?: boolean | null;

  @ApiPropertyOptional({
    type: Boolean,
    nullable: true,
    deprecated: true,
    description: 'A non-null value sets is_public to its inverse and wins over is_public',
  })
  @OptionalBoolean()
  private?: boolean | null;

  @ApiPropertyOptional({ enum: ['regular', 'template'], description: 'shared_datasets comes only from the name' })
  @ValidateWhenPresent()
  @IsIn(PROJECT_TYPES)
  project_type?: ProjectType;

  @ApiPropertyOptional({
    type: Boolean,
    nullable: true,
    description: `${BOOLEAN_INPUT}; on create default false; featured projects come first in the default order`,
  })
  @OptionalBoolean()
  is_featured?: boolean | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true, description: `${BOOLEAN_INPUT}; on create default false` })
  @OptionalBoolean()
  is_attachment_download_on_demand?: boolean | null;

  @ApiPropertyOptional({
    type: Boolean,
    nullable: true,
    description: `${BOOLEAN_INPUT}; on create default false; when true only admins and managers may modify restricted files`,
  })
  @OptionalBoolean()
  has_restricted_projectfiles?: boolean | null;

  @ApiPropertyOptional({ type: Boolean, nullable: true, description: `${BOOLEAN_INPUT}; on create default true` })
  @OptionalBoolean()
  overwrite_conflicts?: boolean | null;
}

export class CreateProjectBody extends ProjectFields {
  @ApiProperty({
    pattern: '^[A-Za-z0-9._-]+$',
    minLength: 1,
    maxLength: 255,
    example: 'field-survey-2026',
    description: 'Unique per owner; `shared_datasets` makes the shared datasets project',
  })
  @IsString()
  name: string;

  @ApiPropertyOptional({ description: 'A person or organization; default: the caller' })
  @ValidateWhenPresent()
  @IsString()
  owner?: string;
}

export class UpdateProjectBody extends ProjectFields {
  @ApiPropertyOptional({ pattern: '^[A-Za-z0-9._-]+$', minLength: 1, maxLength: 255, description: 'Required by PUT' })
  @ValidateWhenPresent()
  @IsString()
  name?: string;

  @ApiPropertyOptional({ description: 'A different owner transfers the project (spec §5.6)' })
  @ValidateWhenPresent()
  @IsString()
  owner?: string;
}

/** search and ordering, shared by GET /projects/ and GET /projects/public/. */
export class ProjectSearchParams {
  @ApiPropertyOptional({ description: 'Terms split on whitespace and commas; each must occur in the owner name or the project name' })
  @IsOptional()
  @IsString()
  search?: string;

  @ApiPropertyOptional({
    description: 'Comma-separated owner, name, created_at, each optionally prefixed by "-"; applied in the order given',
    example: '-created_at,name',
  })
  @IsOptional()
  @IsString()
  ordering?: string;
}

export class ListProjectsParams extends ProjectSearchParams {
  @ApiPropertyOptional({ type: Boolean, description: `Also list projects visible only because they are public; ${BOOLEAN_INPUT}, anything else is 400` })
  @OptionalBoolean()
  include_public?: boolean | null;

  @ApiPropertyOptional({ type: Boolean, name: 'include-public', description: 'Old spelling of include_public (which wins when both are given)' })
  @OptionalBoolean()
  'include-public'?: boolean | null;

  @ApiPropertyOptional({ description: 'Exact owner username, case-insensitive' })
  @IsOptional()
  @IsString()
  owner?: string;

  @ApiPropertyOptional({ description: 'Exact project name, case-insensitive' })
  @IsOptional()
  @IsString()
  name?: string;
}
