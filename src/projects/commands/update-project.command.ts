import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import type { Actor } from '../../common/actor.js';
import { ProjectAlreadyExists, QgisProjectFileNotAllowed, ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import type { UpdateProjectBody } from '../dto/project-requests.dto.js';
import type { ProjectResponse } from '../dto/project.dto.js';
import { assertProjectName, isSharedDatasetsName } from '../project-rules.js';
import { loadProject } from '../queries/get-project.query.js';
import { findProjectOwner, type ProjectOwner } from '../owners.js';
import { ProjectsRepository } from '../projects.repository.js';
import { ProjectTransfer } from './transfer-project-owner.js';

/**
 * PATCH and PUT /projects/{id}/ (spec §5.6): field changes, renames and the transfer to another owner,
 * all in one transaction, so a PATCH that changes the owner and other fields applies all or nothing.
 */
export class UpdateProjectCommand extends Command<ProjectResponse> {
  constructor(
    readonly actor: Actor,
    readonly projectId: string,
    readonly body: UpdateProjectBody,
    /** PUT: `name` is required. */
    readonly replace: boolean,
  ) {
    super();
  }
}

const FLAGS = ['is_featured', 'is_attachment_download_on_demand', 'has_restricted_projectfiles', 'overwrite_conflicts'] as const;

@CommandHandler(UpdateProjectCommand)
export class UpdateProjectHandler implements ICommandHandler<UpdateProjectCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly projects: ProjectsRepository,
    private readonly accounts: AccountsRepository,
    private readonly transfer: ProjectTransfer,
  ) {}

  execute({ actor, projectId, body, replace }: UpdateProjectCommand): Promise<ProjectResponse> {
    if (replace && body.name === undefined) throw ValidationFailed.field('name', 'This field is required');
    return this.dataSource.transaction(async (tx) => {
      const projects = this.projects.withinTx(tx);
      // Find the new owner first: accounts are locked before projects, everywhere.
      const target = await this.transferTarget(tx, projectId, body.owner);
      if (target) await this.accounts.withinTx(tx).lock(target.id);
      const project = (await projects.lockForUpdate(projectId))!;

      const changes: Record<string, unknown> = {};
      const isSharedDatasets = project.project_type === 'shared_datasets';
      if (body.name !== undefined && body.name !== project.name) {
        if (isSharedDatasets) throw ValidationFailed.field('name', 'A shared_datasets project cannot be renamed');
        assertProjectName(body.name);
        if (isSharedDatasetsName(body.name)) {
          if (project.the_qgis_file_name !== null) throw new QgisProjectFileNotAllowed('A project with a QGIS file cannot become the shared_datasets project');
          changes.project_type = 'shared_datasets';
        }
        changes.name = body.name;
      }
      if (body.project_type !== undefined) {
        // shared_datasets comes only from the name and stays; regular and template switch freely.
        const becoming = (changes.project_type as string | undefined) ?? project.project_type;
        if (body.project_type !== becoming && (becoming === 'shared_datasets' || body.project_type === 'shared_datasets')) {
          throw ValidationFailed.field('project_type', 'shared_datasets comes only from the project name, and a shared_datasets project keeps its type');
        }
        if (body.project_type !== becoming) changes.project_type = body.project_type;
      }
      if (body.description !== undefined && body.description !== project.description) changes.description = body.description;
      const isPublic = body.private != null ? !body.private : body.is_public;
      if (isPublic != null && isPublic !== project.is_public) changes.is_public = isPublic;
      for (const flag of FLAGS) {
        if (body[flag] != null && body[flag] !== project[flag]) changes[flag] = body[flag];
      }
      if (target) changes.owner_id = target.id;

      if (Object.keys(changes).length > 0) {
        const name = (changes.name as string | undefined) ?? project.name;
        if (target) await this.transfer.check(tx, project, target, name);
        await onUniqueViolation(
          projects.update(projectId, changes),
          'projects_owner_name_key',
          () => new ProjectAlreadyExists(target?.username ?? project.owner_name, name),
        );
        if (target) await projects.removeIneligibleCollaborators(projectId, target);
      }
      return loadProject(projects, actor.id, projectId);
    });
  }

  /** The new owner when `owner` names a different account than the current one; null otherwise. */
  private async transferTarget(tx: EntityManager, projectId: string, owner: string | undefined): Promise<ProjectOwner | null> {
    if (owner === undefined) return null;
    const target = await findProjectOwner(this.accounts.withinTx(tx), owner);
    return target.id === (await this.projects.withinTx(tx).findOwnerId(projectId)) ? null : target;
  }
}
