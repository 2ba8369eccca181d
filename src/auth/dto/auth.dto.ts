import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class LoginBody {
  @ApiPropertyOptional({ description: 'Username or e-mail address, case-insensitive', example: 'alice' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  username?: string;

  @ApiPropertyOptional({ description: 'Accepted instead of username' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  email?: string;

  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class LoginResponse {
  @ApiProperty({ description: 'Send it as "Authorization: Token <token>"' }) token: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['1'], description: 'The account type as a string: "1" is a person' }) type: '1';
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty({ nullable: true, type: String }) avatar_url: string | null;
  @ApiProperty() first_name: string;
  @ApiProperty() last_name: string;
  @ApiProperty() full_name: string;
}

export class LogoutResponse {
  @ApiProperty({ example: 'Successfully logged out.' }) detail: string;
}
