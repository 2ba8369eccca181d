import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { storageUsage } from '../../accounts/storage-usage.js';
import type { Actor } from '../../auth/actor.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { MultipleQgisProjectFiles, OverQuota, PermissionDenied, QgisProjectFileNotAllowed } from '../../common/errors.js';
import { isUnderAttachmentDir } from '../../jobs/job-rules.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { may, type ProjectAccess } from '../../projects/roles/roles.js';
import { FileStorage } from '../../storage/file-storage.js';
import { StorageCleaner } from '../../storage/storage-cleaner.js';
import { projectFilesSql, toProjectFileResponse, type ProjectFileResponse } from '../dto/project-file.dto.js';
import { lockProjectAndOwner, refreshProjectFiles } from '../file-accounting.js';
import { isQgisProjectFile, isRestrictedFile } from '../file-rules.js';
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
    private readonly db: DataSource,
    private readonly storage: FileStorage,
    private readonly cleaner: StorageCleaner,
    private readonly jobs: JobsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, access, path, upload }: UploadProjectFileCommand): Promise<ProjectFileResponse> {
    let pruned: string[];
    let file: Parameters<typeof toProjectFileResponse>[0];
    try {
      [pruned, file] = await this.db.transaction(async (db) => {
        const project = await lockProjectAndOwner(db, access.projectId);
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

        const [{ id: fileId }] = await db.query(
          `INSERT INTO project_files (project_id, name) VALUES ($1, $2)
           ON CONFLICT (project_id, name) DO UPDATE SET name = excluded.name RETURNING id`,
          [project.id, path],
        );
        await db.query(
          `INSERT INTO file_versions (file_id, storage_key, size, md5, sha256, etag, qgis_version, uploaded_by_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [fileId, upload.key, upload.size, upload.md5, upload.sha256, upload.etag, qgisVersion, actor.id],
        );
        const [prunedRows] = await db.query(
          `DELETE FROM file_versions WHERE id IN (
             SELECT id FROM file_versions WHERE file_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2)
           RETURNING storage_key`,
          [fileId, this.config.storageKeepVersions],
        );
        await refreshProjectFiles(db, project.id, restricted);

        const { usedBytes, quotaBytes } = await storageUsage(db, project.owner_id, this.config.defaultStorageQuotaBytes);
        if (usedBytes > quotaBytes) {
          const [owner] = await db.query(`SELECT username FROM accounts WHERE id = $1`, [project.owner_id]);
          throw new OverQuota(owner.username, usedBytes, quotaBytes);
        }
        // Spec §8: how QFieldSync gets a project processed (it uploads the QGIS file last, never calls /jobs/).
        if (!isUnderAttachmentDir(path, await this.jobs.attachmentDirs(db, project.id))) await this.jobs.queueProcessing(db, project.id, actor.id);
        const keys = prunedRows.map((row: { storage_key: string }) => row.storage_key);
        await this.cleaner.queue(db, keys);
        // Read before the commit: once it is committed, a concurrent project delete may take the file.
        const [row] = await db.query(projectFilesSql('f.name = $2'), [project.id, path]);
        return [keys, row];
      });
    } catch (error) {
      await this.storage.delete(upload.key).catch(() => undefined); // the sweeper gets it otherwise
      throw error;
    }
    await this.cleaner.flush(pruned);
    return toProjectFileResponse(file);
  }
}
