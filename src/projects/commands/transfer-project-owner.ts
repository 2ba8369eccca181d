import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccountType } from '../../accounts/account.entity.js';
import { storageUsage } from '../../accounts/storage-usage.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { OverQuota, ProjectAlreadyExists } from '../../common/errors.js';
import type { ProjectOwner } from '../owners.js';

/**
 * Moving a project to another owner (spec §5.6). It is a step of UpdateProject, not a use case of its
 * own, because a PATCH that changes the owner and other fields must apply all of it or none of it.
 * Both methods run inside that transaction, with the target account and the project row locked, so
 * concurrent transfers and uploads into the same target cannot both pass the quota check.
 */
@Injectable()
export class ProjectTransfer {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Before the move: no project of that name at the target (400), and the target's quota fits (402). */
  async check(db: EntityManager, project: { id: string; file_storage_bytes: string | number }, target: ProjectOwner, name: string): Promise<void> {
    const [clash] = await db.query(`SELECT 1 FROM projects WHERE owner_id = $1 AND name = $2 AND id <> $3`, [target.id, name, project.id]);
    if (clash) throw new ProjectAlreadyExists(target.username, name);
    const { usedBytes, quotaBytes } = await storageUsage(db, target.id, this.config.defaultStorageQuotaBytes);
    const needed = usedBytes + Number(project.file_storage_bytes);
    if (needed > quotaBytes) throw new OverQuota(target.username, needed, quotaBytes);
  }

  /**
   * After the move: collaborators no longer eligible under the new owner (spec §6.3) go, and so does a
   * collaborator row of the new owner themself. On a person's project teams cannot collaborate; on an
   * organization's project persons must be its owner or members, and teams must be its own.
   */
  async removeIneligibleCollaborators(db: EntityManager, projectId: string, target: ProjectOwner): Promise<void> {
    if (target.type === AccountType.Person) {
      await db.query(
        `DELETE FROM project_collaborators c USING accounts a
          WHERE c.project_id = $1 AND a.id = c.collaborator_id AND (c.collaborator_id = $2 OR a.type = ${AccountType.Team})`,
        [projectId, target.id],
      );
      return;
    }
    await db.query(
      `DELETE FROM project_collaborators c USING accounts a
        WHERE c.project_id = $1 AND a.id = c.collaborator_id
          AND (c.collaborator_id = $2
               OR (a.type = ${AccountType.Person} AND a.id <> $3
                   AND NOT EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = $2 AND m.member_id = a.id))
               OR (a.type = ${AccountType.Team} AND a.team_organization_id <> $2))`,
      [projectId, target.id, target.organizationOwnerId],
    );
  }
}
