import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ObjectNotFound, PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { may, type ProjectAccess } from '../../projects/roles/roles.js';
import { StorageCleaner } from '../../storage/storage-cleaner.js';
import { isRestrictedFile } from '../file-rules.js';
import { isUuid } from '../../common/validation.js';
import { FilesRepository } from '../files.repository.js';

/**
 * DELETE /files/{projectId}/{path}/ (spec §8): the file with all its versions, or with the header
 * `x-file-version` just that version (the file goes with its last version). Rows and accounting in
 * one transaction, stored bytes after it.
 */
export class DeleteProjectFileCommand extends Command<void> {
  constructor(
    readonly access: ProjectAccess,
    readonly path: string,
    readonly versionId: string | undefined,
  ) {
    super();
  }
}

@CommandHandler(DeleteProjectFileCommand)
export class DeleteProjectFileHandler implements ICommandHandler<DeleteProjectFileCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly cleaner: StorageCleaner,
  ) {}

  async execute({ access, path, versionId }: DeleteProjectFileCommand): Promise<void> {
    if (versionId !== undefined && !isUuid(versionId)) throw ValidationFailed.field('x-file-version', 'Must be a version id (UUID)');
    const keys = await this.dataSource.transaction(async (tx) => {
      const files = this.files.withinTx(tx);
      const project = await files.lockProjectAndOwner(access.projectId);
      const fileId = await files.findFileId(project.id, path);
      if (!fileId) throw new ObjectNotFound(`No file "${path}" in this project`);
      const restricted = isRestrictedFile(path, project.the_qgis_file_name);
      if (restricted && project.has_restricted_projectfiles && !may(access.role, 'modifyRestrictedFiles')) {
        throw new PermissionDenied('Only admins and managers may change restricted files of this project');
      }
      let keys: string[];
      if (versionId !== undefined) {
        const key = await files.deleteVersion(fileId, versionId.toLowerCase());
        if (key === undefined) throw new ObjectNotFound(`No version ${versionId} of "${path}"`);
        keys = [key];
      } else {
        keys = await files.deleteFile(fileId);
      }
      await files.refreshAccounting(project.id, restricted);
      await this.cleaner.queue(tx, keys);
      return keys;
    });
    await this.cleaner.flush(keys);
  }
}
