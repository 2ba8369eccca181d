import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { OverQuota, ProjectAlreadyExists } from '../../common/errors.js';
import type { ProjectOwner } from '../owners.js';
import { ProjectsRepository } from '../projects.repository.js';

/**
 * Moving a project to another owner (spec §5.6). It is a step of UpdateProject, not a use case of its
 * own, because a PATCH that changes the owner and other fields must apply all of it or none of it.
 * The check runs inside that transaction, with the target account and the project row locked, so
 * concurrent transfers and uploads into the same target cannot both pass the quota check; after the
 * move, ProjectsRepository.removeIneligibleCollaborators drops who may no longer collaborate.
 */
@Injectable()
export class ProjectTransfer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly projects: ProjectsRepository,
    private readonly accounts: AccountsRepository,
  ) {}

  /** Before the move: no project of that name at the target (400), and the target's quota fits (402). */
  async check(tx: EntityManager, project: { id: string; file_storage_bytes: string | number }, target: ProjectOwner, name: string): Promise<void> {
    if (await this.projects.withinTx(tx).hasOtherNamed(target.id, name, project.id)) throw new ProjectAlreadyExists(target.username, name);
    const { usedBytes, quotaBytes } = await this.accounts.withinTx(tx).storageUsage(target.id, this.config.defaultStorageQuotaBytes);
    const needed = usedBytes + Number(project.file_storage_bytes);
    if (needed > quotaBytes) throw new OverQuota(target.username, needed, quotaBytes);
  }
}
