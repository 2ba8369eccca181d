import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ObjectNotFound, PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { may, type ProjectAccess } from '../../projects/roles/roles.js';
import { StorageCleaner } from '../../storage/storage-cleaner.js';
import { lockProjectAndOwner, refreshProjectFiles } from '../file-accounting.js';
import { isRestrictedFile } from '../file-rules.js';
import { isUuid } from '../../common/validation.js';


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
    private readonly db: DataSource,
    private readonly cleaner: StorageCleaner,
  ) {}

  async execute({ access, path, versionId }: DeleteProjectFileCommand): Promise<void> {
    if (versionId !== undefined && !isUuid(versionId)) throw ValidationFailed.field('x-file-version', 'Must be a version id (UUID)');
    const keys = await this.db.transaction(async (db) => {
      const project = await lockProjectAndOwner(db, access.projectId);
      const [file] = await db.query(`SELECT id FROM project_files WHERE project_id = $1 AND name = $2`, [project.id, path]);
      if (!file) throw new ObjectNotFound(`No file "${path}" in this project`);
      const restricted = isRestrictedFile(path, project.the_qgis_file_name);
      if (restricted && project.has_restricted_projectfiles && !may(access.role, 'modifyRestrictedFiles')) {
        throw new PermissionDenied('Only admins and managers may change restricted files of this project');
      }
      let removed: { storage_key: string }[];
      if (versionId !== undefined) {
        [removed] = await db.query(`DELETE FROM file_versions WHERE id = $1 AND file_id = $2 RETURNING storage_key`, [versionId.toLowerCase(), file.id]);
        if (removed.length === 0) throw new ObjectNotFound(`No version ${versionId} of "${path}"`);
        await db.query(`DELETE FROM project_files f WHERE f.id = $1 AND NOT EXISTS (SELECT 1 FROM file_versions v WHERE v.file_id = f.id)`, [file.id]);
      } else {
        removed = await db.query(`SELECT storage_key FROM file_versions WHERE file_id = $1`, [file.id]);
        await db.query(`DELETE FROM project_files WHERE id = $1`, [file.id]);
      }
      await refreshProjectFiles(db, project.id, restricted);
      const keys = removed.map((row) => row.storage_key);
      await this.cleaner.queue(db, keys);
      return keys;
    });
    await this.cleaner.flush(keys);
  }
}
