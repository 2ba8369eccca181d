import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import type { Actor } from '../../common/actor.js';
import { isDataException } from '../../database/sql.js';
import { ApiError, EmptyContent, InvalidDeltafile, NoQgisProject, ObjectNotFound } from '../../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { may, type ProjectAccess } from '../../projects/roles/roles.js';
import { queueApplyJobs } from '../apply-queue.js';
import { refuseTemplateProject } from '../delta-rules.js';
import { isProblem, parseDeltafile } from '../deltafile.js';
import { DeltasRepository } from '../deltas.repository.js';
import { toDeltaResponse, type DeltaResponse } from '../dto/delta.dto.js';

/**
 * POST /deltas/{projectid}/ (spec §11.2): checks in the contract's order (the `file` part, JSON and
 * schema, the project named, a QGIS file), then stores the new deltas in one transaction holding the
 * project's row lock and gives them to apply jobs (§11.3). Answers the rows of the file's deltas, in
 * file order, those stored by an earlier push included.
 */
export class PushDeltafileCommand extends Command<DeltaResponse[]> {
  constructor(
    readonly actor: Actor,
    readonly access: ProjectAccess,
    readonly body: Buffer | null,
  ) {
    super();
  }
}

/** A refusal decided inside the transaction: the file is kept once the transaction is undone. */
class Refused extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

@CommandHandler(PushDeltafileCommand)
export class PushDeltafileHandler implements ICommandHandler<PushDeltafileCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly deltas: DeltasRepository,
    private readonly jobs: JobsRepository,
    private readonly accounts: AccountsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, access, body }: PushDeltafileCommand): Promise<DeltaResponse[]> {
    await refuseTemplateProject(this.deltas, access.projectId);
    if (body === null) throw new EmptyContent();

    const refuse = async (error: ApiError): Promise<never> => {
      const kept = await this.deltas.keepRejected({ projectId: access.projectId, createdById: actor.id, reason: `${error.code}: ${error.message}`, body });
      throw kept ? error : new ObjectNotFound('No such project');
    };
    const parsed = parseDeltafile(body);
    if (isProblem(parsed)) return refuse(new InvalidDeltafile(parsed.reason, parsed.detail));
    const { file, json } = parsed;
    if (file.project.toLowerCase() !== access.projectId)
      return refuse(new InvalidDeltafile('it is for another project', { project: [`Must be this project's id, ${access.projectId}`] }));
    const ids = [...new Set(file.deltas.map((delta) => delta.uuid.toLowerCase()))];

    try {
      return await this.dataSource.transaction(async (tx) => {
        const project = await this.jobs.withinTx(tx).lockProject(access.projectId);
        if (!project) throw new ObjectNotFound('No such project');
        if (project.the_qgis_file_name === null) throw new Refused(new NoQgisProject());
        const deltas = this.deltas.withinTx(tx);
        const stored = await deltas.store({
          json,
          deltafileId: file.id.toLowerCase(),
          projectId: project.id,
          createdById: actor.id,
          mayChangeFeatures: may(access.role, 'changeFeatures'),
          unpermittedMsg: `Not applied: a ${access.role} may add features but not change or delete them`,
        });
        // A delta id is the device's: one already stored in another project is not this project's to show or change.
        const elsewhere = stored < ids.length ? await deltas.inOtherProjects(ids, project.id) : [];
        if (elsewhere.length)
          throw new Refused(
            new InvalidDeltafile('some of its deltas were pushed to another project', {
              deltas: elsewhere.map((id) => `The delta ${id} was pushed to another project`),
            }),
          );
        if (stored > 0) {
          const deps = { jobs: this.jobs, deltas: this.deltas, accounts: this.accounts, defaultQuotaBytes: this.config.defaultStorageQuotaBytes };
          await queueApplyJobs(tx, deps, project, actor.id);
        }
        return (await deltas.byIds(project.id, ids)).map(toDeltaResponse);
      });
    } catch (error) {
      if (error instanceof Refused) return refuse(error.error);
      // PostgreSQL reads the file's JSON itself (deltas.repository.ts) and may find what JavaScript
      // accepted out of its range, e.g. a number with a huge exponent: a data exception (class 22).
      if (isDataException(error)) return refuse(new InvalidDeltafile('PostgreSQL cannot store it', { file: [String((error as Error).message)] }));
      throw error;
    }
  }
}
