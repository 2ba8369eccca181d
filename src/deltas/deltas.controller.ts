import { applyDecorators, Controller, Get, HttpCode, Param, Query, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '../common/actor.js';
import { Post, UploadRoute } from '../common/body.interceptor.js';
import { ApiErrors, ApiList, ApiOk } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { ApplyDeltasCommand } from '../jobs/commands/apply-deltas.command.js';
import { JobResponse } from '../jobs/dto/job.dto.js';
import { CurrentProjectAccess, ProjectPermission } from '../projects/roles/project-role.guard.js';
import type { ProjectAccess } from '../projects/roles/roles.js';
import { PushDeltafileCommand } from './commands/push-deltafile.command.js';
import { DeltafileUploadInterceptor, PushedDeltafile } from './deltafile-upload.interceptor.js';
import { DeltaResponse } from './dto/delta.dto.js';
import { ListDeltasParams } from './dto/delta-requests.dto.js';
import { GetDeltafileQuery } from './queries/get-deltafile.query.js';
import { ListDeltasQuery } from './queries/list-deltas.query.js';

/** An array of delta rows (not a paginated list). */
const ApiDeltaRows = (description: string) =>
  applyDecorators(
    ApiExtraModels(DeltaResponse),
    ApiResponse({ status: 200, description, content: { 'application/json': { schema: { type: 'array', items: { $ref: getSchemaPath(DeltaResponse) } } } } }),
  );

/** Spec §11: the edits QField pushes. */
@ApiTags('deltas')
@Controller('deltas')
export class DeltasController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  // Before ':projectId': "apply" is no project id.
  @Post('apply/:projectId')
  @ApiOperation({
    operationId: 'applyDeltas',
    deprecated: true,
    summary: "Apply the project's pending deltas (as POST /jobs/ with type=delta_apply)",
    description:
      "Admins, managers, editors and reporters. Answers 200 with the new apply job, or the active one when no delta waits for a job; 400 `no_deltas_to_apply` when none is pending; 400 `no_qgis_project`; 402 while the owner's storage is full.",
  })
  @HttpCode(200)
  @ApiOk(JobResponse)
  @ApiErrors([400, 'validation_error', 'no_qgis_project', 'no_deltas_to_apply'], 402, 403, 404)
  async apply(@Param('projectId') projectId: string, @CurrentActor() actor: Actor) {
    return (await this.commands.execute(new ApplyDeltasCommand(actor, projectId))).job;
  }

  @Post(':projectId')
  @ProjectPermission('deltas')
  @UploadRoute()
  @UseInterceptors(DeltafileUploadInterceptor)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'uploadDeltafile',
    summary: 'Push a delta file (multipart part "file"); answers its deltas',
    description:
      'Admins, managers, editors and reporters; never on a template project (403). Checks, in this order: the `file` part is there (400 `empty_content`); ' +
      'it is JSON following the delta file schema (400 `invalid_deltafile`, the reason in `detail`); its `project` is this project (400 `invalid_deltafile`); ' +
      'the project has a QGIS file (400 `no_qgis_project`). A refused file is kept for the operator. Deltas stored before (same `uuid`) are skipped; a `uuid` ' +
      "pushed to another project refuses the file (400 `invalid_deltafile`). New deltas are `pending`, a reporter's patches and deletes `unpermitted`, and go to " +
      "apply jobs of at most 1000 deltas. Answers the rows of the file's deltas in file order. Over DELTAFILE_MAX_BYTES: 413.",
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary', description: 'The delta file (JSON); its content type and file name are ignored' } },
    },
  })
  @ApiDeltaRows("The rows of the file's deltas, in file order")
  @ApiErrors([400, 'validation_error', 'empty_content', 'invalid_deltafile', 'no_qgis_project'], 403, 404)
  push(@CurrentActor() actor: Actor, @CurrentProjectAccess() access: ProjectAccess, @PushedDeltafile() file: Buffer | null) {
    return this.commands.execute(new PushDeltafileCommand(actor, access, file));
  }

  @Get(':projectId')
  @ProjectPermission('deltas')
  @ApiOperation({
    operationId: 'listDeltas',
    summary: "A project's deltas, oldest first",
    description: 'Admins, managers, editors and reporters; never on a template project (403). `ordering=-created_at`: newest first.',
  })
  @ApiList(DeltaResponse)
  @ApiErrors(400, 403, 404)
  list(@CurrentProjectAccess() access: ProjectAccess, @Query() params: ListDeltasParams, @Paging() page: PageRequest) {
    return this.queries.execute(new ListDeltasQuery(access.projectId, params.ordering === '-created_at', page));
  }

  @Get(':projectId/:deltafileId')
  @ProjectPermission('deltas')
  @ApiOperation({
    operationId: 'getDeltafile',
    summary: 'The deltas of one delta file, in file order',
    description:
      'Admins, managers, editors and reporters; never on a template project (403). QField polls this after a push until no delta is pending or busy. ' +
      'A delta file that brought no delta to this project is 404.',
  })
  @ApiDeltaRows('The deltas first pushed with this delta file, in file order')
  @ApiErrors(400, 403, 404)
  deltafile(@CurrentProjectAccess() access: ProjectAccess, @Param('deltafileId') deltafileId: string) {
    return this.queries.execute(new GetDeltafileQuery(access.projectId, deltafileId));
  }
}
