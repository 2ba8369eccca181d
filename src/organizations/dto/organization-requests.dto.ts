import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ValidateWhenPresent } from '../../common/validation.js';

import { MEMBERSHIP_ROLES, type MembershipRole } from '../../common/roles.js';

export { MEMBERSHIP_ROLES, type MembershipRole };

export class CreateOrganizationBody {
  @ApiProperty({ example: 'surveyors', description: 'Same rules as person names (spec §4)' })
  @IsString()
  username: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;
}

export class AddMemberBody {
  @ApiProperty({ description: 'Username of a person' })
  @IsString()
  member: string;

  @ApiPropertyOptional({ enum: MEMBERSHIP_ROLES, default: 'member' })
  @ValidateWhenPresent()
  @IsIn(MEMBERSHIP_ROLES)
  role?: MembershipRole;
}

export class UpdateMemberBody {
  @ApiProperty({ enum: MEMBERSHIP_ROLES })
  @IsIn(MEMBERSHIP_ROLES)
  role: MembershipRole;
}

export class TeamBody {
  @ApiProperty({ example: 'field-crew', description: 'The short name: same character rules as account names' })
  @IsString()
  team: string;
}

export class TeamMemberBody {
  @ApiProperty({ description: 'Username of the organization owner or a member' })
  @IsString()
  member: string;
}
