import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsUUID } from 'class-validator';
import { ToBoolean, ValidateWhenPresent } from '../../common/validation.js';
import { JOB_TYPES, type JobType } from '../job.entity.js';

const TYPE_MESSAGE = `type must be one of: ${JOB_TYPES.join(', ')}`;

/** POST /jobs/ (spec §10.2), as JSON (QField) or form (the SDK). */
export class CreateJobBody {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'project_id must be a UUID' })
  project_id: string;

  @ApiProperty({ enum: JOB_TYPES, description: '`create_project` and unknown types are 400' })
  @IsIn(JOB_TYPES, { message: TYPE_MESSAGE })
  type: JobType;

  @ApiPropertyOptional({
    type: Boolean,
    description: '`package`: always make a new job, even without a QGIS file or while one is active (`0`/`1`/`true`/`false`)',
  })
  @ValidateWhenPresent()
  @ToBoolean()
  @IsBoolean({ message: 'force must be a boolean (true/false, 1/0)' })
  force?: boolean;
}

/** GET /jobs/?project_id=…&type=…. */
export class ListJobsParams {
  @ApiProperty({ format: 'uuid', description: 'The project whose jobs to list (required)' })
  @IsUUID('all', { message: 'project_id must be a UUID' })
  project_id: string;

  @ApiPropertyOptional({ enum: JOB_TYPES, description: 'Only jobs of this type' })
  @ValidateWhenPresent()
  @IsIn(JOB_TYPES, { message: TYPE_MESSAGE })
  type?: JobType;
}
