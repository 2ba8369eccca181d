import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import { AccountType } from '../../accounts/account.entity.js';
import type { Actor } from '../../common/actor.js';
import { PermissionDenied, ProjectAlreadyExists, ValidationFailed } from '../../common/errors.js';
import { onUniqueViolation } from '../../database/sql.js';
import { OrganizationsRepository } from '../../organizations/organizations.repository.js';
import type { CreateProjectBody } from '../dto/project-requests.dto.js';
import type { ProjectResponse } from '../dto/project.dto.js';
import { findProjectOwner, type ProjectOwner } from '../owners.js';
import { assertProjectName, isSharedDatasetsName } from '../project-rules.js';
import { ProjectsRepository } from '../projects.repository.js';
import { loadProject } from '../queries/get-project.query.js';

/** POST /projects/ (spec §5.5). */
export class CreateProjectCommand extends Command<ProjectResponse> {
  constructor(
    readonly actor: Actor,
    readonly body: CreateProjectBody,
  ) {
    super();
  }
}

@CommandHandler(CreateProjectCommand)
export class CreateProjectHandler implements ICommandHandler<CreateProjectCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly projects: ProjectsRepository,
    private readonly accounts: AccountsRepository,
    private readonly organizations: OrganizationsRepository,
  ) {}

  async execute({ actor, body }: CreateProjectCommand): Promise<ProjectResponse> {
    assertProjectName(body.name);
    if (body.project_type === 'shared_datasets') {
      throw ValidationFailed.field('project_type', 'shared_datasets comes only from the project name "shared_datasets"');
    }
    const sharedDatasets = isSharedDatasetsName(body.name);
    if (sharedDatasets && body.project_type === 'template') throw ValidationFailed.field('project_type', 'A shared_datasets project cannot be a template');

    return this.dataSource.transaction(async (tx) => {
      const projects = this.projects.withinTx(tx);
      const owner: ProjectOwner = body.owner
        ? await findProjectOwner(this.accounts.withinTx(tx), body.owner)
        : { id: actor.id, username: actor.username, type: AccountType.Person, organizationOwnerId: null };
      // Persons create in their own account; in an organization its owner, admins and creators may.
      const standing = owner.type === AccountType.Organization ? await this.organizations.withinTx(tx).standing(owner.id, actor.id) : null;
      const allowed = owner.type === AccountType.Person ? owner.id === actor.id : standing === 'owner' || standing === 'admin' || standing === 'creator';
      if (!allowed) throw new PermissionDenied(`You may not create projects for ${owner.username}`);
      // Key-share locked until the commit, so the owner cannot be deleted under the insert (which would
      // fail on the foreign key): a delete that came first has committed, and the owner names no one.
      if (!(await projects.keyShareLockOwner(owner.id))) throw ValidationFailed.field('owner', `No person or organization named "${owner.username}"`);

      const id = await onUniqueViolation(
        projects.insert({
          ownerId: owner.id,
          name: body.name,
          projectType: sharedDatasets ? 'shared_datasets' : (body.project_type ?? 'regular'),
          description: body.description ?? '',
          isPublic: body.private != null ? !body.private : (body.is_public ?? false),
          isFeatured: body.is_featured ?? false,
          isAttachmentDownloadOnDemand: body.is_attachment_download_on_demand ?? false,
          hasRestrictedProjectfiles: body.has_restricted_projectfiles ?? false,
          overwriteConflicts: body.overwrite_conflicts ?? true,
        }),
        'projects_owner_name_key',
        () => new ProjectAlreadyExists(owner.username, body.name),
      );
      // A creator gets no role from membership alone, so the project they create names them its admin.
      if (standing === 'creator') await projects.addCreatorAsAdmin(id, actor.id);
      return loadProject(projects, actor.id, id);
    });
  }
}
