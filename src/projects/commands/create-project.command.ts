import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountType } from '../../accounts/account.entity.js';
import type { Actor } from '../../auth/actor.js';
import { PermissionDenied, ProjectAlreadyExists, ValidationFailed } from '../../common/errors.js';
import { isUniqueViolation } from '../../database/sql.js';
import type { CreateProjectBody } from '../dto/project-requests.dto.js';
import type { ProjectResponse } from '../dto/project.dto.js';
import { findProjectOwner, organizationStanding, type ProjectOwner } from '../owners.js';
import { assertProjectName, isSharedDatasetsName } from '../project-rules.js';
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
  constructor(private readonly db: DataSource) {}

  async execute({ actor, body }: CreateProjectCommand): Promise<ProjectResponse> {
    assertProjectName(body.name);
    if (body.project_type === 'shared_datasets') {
      throw ValidationFailed.field('project_type', 'shared_datasets comes only from the project name "shared_datasets"');
    }
    const sharedDatasets = isSharedDatasetsName(body.name);
    if (sharedDatasets && body.project_type === 'template') throw ValidationFailed.field('project_type', 'A shared_datasets project cannot be a template');

    return this.db.transaction(async (db) => {
      const owner: ProjectOwner = body.owner ? await findProjectOwner(db, body.owner) : { id: actor.id, username: actor.username, type: AccountType.Person, organizationOwnerId: null };
      // Persons create in their own account; in an organization its owner, admins and creators may.
      const standing = owner.type === AccountType.Organization ? await organizationStanding(db, owner, actor.id) : null;
      const allowed = owner.type === AccountType.Person ? owner.id === actor.id : standing === 'owner' || standing === 'admin' || standing === 'creator';
      if (!allowed) throw new PermissionDenied(`You may not create projects for ${owner.username}`);
      // Key-share locked until the commit, so the owner cannot be deleted under the insert (which would
      // fail on the foreign key): a delete that came first has committed, and the owner names no one.
      const [present] = await db.query(`SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE`, [owner.id]);
      if (!present) throw ValidationFailed.field('owner', `No person or organization named "${owner.username}"`);

      let id: string;
      try {
        [{ id }] = await db.query(
          `INSERT INTO projects (owner_id, name, project_type, description, is_public, is_featured, is_attachment_download_on_demand, has_restricted_projectfiles, overwrite_conflicts)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [
            owner.id,
            body.name,
            sharedDatasets ? 'shared_datasets' : (body.project_type ?? 'regular'),
            body.description ?? '',
            body.private != null ? !body.private : (body.is_public ?? false),
            body.is_featured ?? false,
            body.is_attachment_download_on_demand ?? false,
            body.has_restricted_projectfiles ?? false,
            body.overwrite_conflicts ?? true,
          ],
        );
      } catch (error) {
        if (isUniqueViolation(error, 'projects_owner_name_key')) throw new ProjectAlreadyExists(owner.username, body.name);
        throw error;
      }
      // A creator gets no role from membership alone, so the project they create names them its admin.
      if (standing === 'creator') {
        await db.query(
          `INSERT INTO project_collaborators (project_id, collaborator_id, role, created_by_id, updated_by_id) VALUES ($1, $2, 'admin', $2, $2)`,
          [id, actor.id],
        );
      }
      return loadProject(db, actor.id, id);
    });
  }
}
