import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import type { Actor } from '../../common/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { MultipleQgisProjectFiles, OverQuota, PermissionDenied, QgisProjectFileNotAllowed } from '../../common/errors.js';
import { isUnderAttachmentDir } from '../../jobs/job-rules.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { ProjectsRepository } from '../../projects/projects.repository.js';
import { may, type ProjectAccess } from '../../projects/roles/roles.js';
import { FileStorage } from '../../storage/file-storage.js';
import { StorageCleaner } from '../../storage/storage-cleaner.js';
import { toProjectFileResponse, type ProjectFileResponse, type ProjectFileRow } from '../dto/project-file.dto.js';
import { isQgisProjectFile, isRestrictedFile } from '../file-rules.js';
import { FilesRepository } from '../files.repository.js';
import { readQgisVersion } from '../qgis-project-file.js';
import type { StreamedUpload } from '../upload-stream.js';

/**
 * POST /files/{projectId}/{path}/ (spec §8), after the bytes were streamed to storage: records the
 * new version in one transaction with the project's accounting, prunes versions beyond
 * STORAGE_KEEP_VERSIONS, and checks the owner's quota with those counted as gone. A QGIS file must be
 * one (its version is kept with it). Any refusal removes the streamed bytes, so a failed upload keeps
 * nothing.
 */
export class UploadProjectFileCommand extends Command<ProjectFileResponse> {
  constructor(
    readonly actor: Actor,
    readonly access: ProjectAccess,
    readonly path: string,
    readonly upload: StreamedUpload,
  ) {
    super();
  }
}

@CommandHandler(UploadProjectFileCommand)
export class UploadProjectFileHandler implements ICommandHandler<UploadProjectFileCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly accounts: AccountsRepository,
    private readonly storage: FileStorage,
    private readonly cleaner: StorageCleaner,
    private readonly projects: ProjectsRepository,
    private readonly jobs: JobsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, access, path, upload }: UploadProjectFileCommand): Promise<ProjectFileResponse> {
    let pruned: string[];
    let file: ProjectFileRow;
    try {
      [pruned, file] = await this.dataSource.transaction(async (tx) => {
        const files = this.files.withinTx(tx);
        const project = await files.lockProjectAndOwner(access.projectId);
        const restricted = isRestrictedFile(path, project.the_qgis_file_name);
        if (restricted && project.has_restricted_projectfiles && !may(access.role, 'modifyRestrictedFiles')) {
          throw new PermissionDenied('Only admins and managers may change restricted files of this project');
        }
        if (isQgisProjectFile(path)) {
          if (project.project_type === 'shared_datasets') throw new QgisProjectFileNotAllowed();
          if (project.the_qgis_file_name !== null && project.the_qgis_file_name !== path) throw new MultipleQgisProjectFiles(project.the_qgis_file_name);
        }
        // After the checks above, so a caller who may not put a QGIS file here learns that first. A .qgs
        // costs two small reads; a .qgz's .qgs is streamed through once.
        const qgisVersion = isQgisProjectFile(path) ? await readQgisVersion(this.storage, upload, path) : null;

        const fileId = await files.upsertFile(project.id, path);
        await files.insertVersion({
          fileId,
          storageKey: upload.key,
          size: String(upload.size),
          md5: upload.md5,
          sha256: upload.sha256,
          etag: upload.etag,
          qgisVersion,
          uploadedById: actor.id,
        });
        const keys = await files.pruneVersions(fileId, this.config.storageKeepVersions);
        await files.refreshAccounting(project.id, restricted);

        const { usedBytes, quotaBytes } = await this.accounts.withinTx(tx).storageUsage(project.owner_id, this.config.defaultStorageQuotaBytes);
        if (usedBytes > quotaBytes) throw new OverQuota((await files.username(project.owner_id))!, usedBytes, quotaBytes);
        // Spec §8: how QFieldSync gets a project processed (it uploads the QGIS file last, never calls /jobs/).
        if (!isUnderAttachmentDir(path, await this.projects.withinTx(tx).attachmentDirs(project.id)))
          await this.jobs.withinTx(tx).queueProcessing(project.id, actor.id);
        await this.cleaner.queue(tx, keys);
        // Read before the commit: once it is committed, a concurrent project delete may take the file.
        const row = (await files.findWithVersions(project.id, path))!;
        return [keys, row] as const;
      });
    } catch (error) {
      await this.storage.delete(upload.key).catch(() => undefined); // the sweeper gets it otherwise
      throw error;
    }
    await this.cleaner.flush(pruned);
    return toProjectFileResponse(file);
  }
}
