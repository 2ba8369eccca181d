import { Body, Controller, Get, Param, Query, Res } from '@nestjs/common';
import { Post } from '../common/body.interceptor.js';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentActor, type Actor } from '../common/actor.js';
import { ApiErrors, ApiList, ApiOk } from '../common/openapi.js';
import { Paging, type PageRequest } from '../common/pagination.js';
import { CreateJobCommand } from './commands/create-job.command.js';
import { JobDetailResponse, JobResponse, type CreatedJob } from './dto/job.dto.js';
import { CreateJobBody, ListJobsParams } from './dto/job-requests.dto.js';
import { GetJobQuery } from './queries/get-job.query.js';
import { ListJobsQuery } from './queries/list-jobs.query.js';

/** Spec §10.2: the jobs of a project. The project id comes from the query or the body, so the handlers check the role. */
@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listJobs',
    summary: "A project's jobs, oldest first",
    description: 'Any role on the project. `project_id` is required (400 without it; 404 for an unknown project); `type` keeps the jobs of that type.',
  })
  @ApiList(JobResponse)
  @ApiErrors(400, 403, 404)
  list(@Query() params: ListJobsParams, @Paging() page: PageRequest, @CurrentActor() actor: Actor) {
    return this.queries.execute(new ListJobsQuery(actor, params.project_id, params.type ?? null, page));
  }

  @Post()
  @ApiOperation({
    operationId: 'createJob',
    summary: 'Ask for a job (201), or get the active package job (200)',
    description:
      '`process_projectfile` and `delta_apply`: admins, managers, editors and reporters; `package`: every role. ' +
      '`package` needs a regular project (403 otherwise) with a QGIS file (400 `no_qgis_project`) unless `force`; without `force`, a package job of the project ' +
      "that is pending, queued or started is answered 200 and nothing new is made. `package` and `delta_apply` need free storage in the owner's account (402). " +
      '`delta_apply` on a project without pending deltas is 400 `no_deltas_to_apply`. An unknown or missing `type` (`create_project` included) is 400.',
  })
  @ApiOk(JobResponse, 201)
  @ApiOk(JobResponse, 200, 'An active package job of the project (package without force)')
  @ApiErrors([400, 'validation_error', 'no_qgis_project', 'no_deltas_to_apply'], 402, 403, 404)
  async create(@Body() body: CreateJobBody, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const { job, created }: CreatedJob = await this.commands.execute(new CreateJobCommand(actor, body));
    res.status(created ? 201 : 200);
    return job;
  }

  @Get(':jobId')
  @ApiOperation({
    operationId: 'getJob',
    summary: 'One job, with its feedback and log',
    description: 'Any role on its project. An unknown id is 404.',
  })
  @ApiOk(JobDetailResponse)
  @ApiErrors(400, 403, 404)
  get(@Param('jobId') jobId: string, @CurrentActor() actor: Actor) {
    return this.queries.execute(new GetJobQuery(actor, jobId));
  }
}
