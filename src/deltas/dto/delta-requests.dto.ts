import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ValidateWhenPresent } from '../../common/validation.js';

const ORDERINGS = ['created_at', '-created_at'] as const;

/** GET /deltas/{projectid}/?ordering=… (spec §11.2). */
export class ListDeltasParams {
  @ApiPropertyOptional({ enum: ORDERINGS, description: '`created_at`: oldest first (the default); `-created_at`: newest first' })
  @ValidateWhenPresent()
  @IsIn(ORDERINGS, { message: `ordering must be one of: ${ORDERINGS.join(', ')}` })
  ordering?: (typeof ORDERINGS)[number];
}
