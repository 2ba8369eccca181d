import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { PROJECT_ROLES, type ProjectRole } from '../../common/roles.js';
import { EmptyAsNull, ToBoolean, ToInteger, ValidateWhenPresent } from '../../common/validation.js';

export class CreatePersonBody {
  @ApiProperty({ example: 'alice', description: '3–150 characters: a letter, then letters, digits, "-" or "_"; not a reserved word' })
  @IsString()
  username: string;

  @ApiProperty({ example: 'alice@example.com' })
  @IsString()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8, example: 'correct horse battery' })
  @IsString()
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ maxLength: 150 })
  @IsOptional()
  @IsString()
  @MaxLength(150)
  first_name?: string;

  @ApiPropertyOptional({ maxLength: 150 })
  @IsOptional()
  @IsString()
  @MaxLength(150)
  last_name?: string;
}

export class UpdatePersonBody {
  @ApiPropertyOptional({ maxLength: 150 })
  @ValidateWhenPresent()
  @IsString()
  @MaxLength(150)
  first_name?: string;

  @ApiPropertyOptional({ maxLength: 150 })
  @ValidateWhenPresent()
  @IsString()
  @MaxLength(150)
  last_name?: string;

  @ApiPropertyOptional()
  @ValidateWhenPresent()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ minLength: 8 })
  @ValidateWhenPresent()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ nullable: true, type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Staff only; null: the server default' })
  @EmptyAsNull()
  @ToInteger()
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsInt()
  @Min(0)
  // Above 2^53 - 1 a number has lost digits on its way in (and past 2^63 the column cannot hold it).
  @Max(Number.MAX_SAFE_INTEGER)
  storage_quota_bytes?: number | null;

  @ApiPropertyOptional({ description: 'Staff only' })
  @ValidateWhenPresent()
  @ToBoolean()
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ description: 'Not changeable through the API (use the operator CLI); a different value is 403' })
  @ValidateWhenPresent()
  @ToBoolean()
  @IsBoolean()
  is_staff?: boolean;
}

export class UpdateUserBody extends UpdatePersonBody {
  @ApiPropertyOptional({ enum: PROJECT_ROLES, nullable: true, type: String, description: 'Organizations: the project role members get (owner and admins)' })
  @EmptyAsNull()
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsIn(PROJECT_ROLES)
  default_project_role_for_members?: ProjectRole | null;

  @ApiPropertyOptional({ description: 'Organizations: hand the organization to a member (owner only)' })
  @ValidateWhenPresent()
  @IsString()
  organization_owner?: string;
}

export class ListUsersParams {
  @ApiPropertyOptional({ description: 'Case-insensitive substring of the account name' })
  @IsOptional()
  @IsString()
  q?: string;

  @ApiPropertyOptional({ description: 'true/1: persons only', type: Boolean })
  @IsOptional()
  @EmptyAsNull()
  @ToBoolean()
  @ValidateIf((_, value) => value !== null)
  @IsBoolean()
  exclude_organizations?: boolean | null;
}
