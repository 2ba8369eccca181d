import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { StorageCleaner } from '../../storage/storage-cleaner.js';

/**
 * DELETE /projects/{id}/ (spec §5.8): the rows go first, in one transaction (collaborators, files and
 * versions cascade), with the keys of their stored bytes queued; the bytes go after the commit, and a
 * storage failure there is retried by the sweeper, never undoes the delete.
 */
export class DeleteProjectCommand extends Command<void> {
  constructor(readonly projectId: string) {
    super();
  }
}

@CommandHandler(DeleteProjectCommand)
export class DeleteProjectHandler implements ICommandHandler<DeleteProjectCommand> {
  constructor(
    private readonly db: DataSource,
    private readonly cleaner: StorageCleaner,
  ) {}

  async execute({ projectId }: DeleteProjectCommand): Promise<void> {
    const keys: string[] = await this.db.transaction(async (db) => {
      // Locked first, so an upload committing meanwhile is either waited for (and its key read below)
      // or finds the project gone; otherwise its bytes would outlive the rows the cascade removes.
      await db.query(`SELECT 1 FROM projects WHERE id = $1 FOR UPDATE`, [projectId]);
      const rows: { storage_key: string }[] = await db.query(
        `SELECT v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1
         UNION ALL SELECT thumbnail_key FROM projects WHERE id = $1 AND thumbnail_key IS NOT NULL
         UNION ALL SELECT storage_key FROM package_files WHERE project_id = $1`,
        [projectId],
      );
      await db.query(`DELETE FROM projects WHERE id = $1`, [projectId]);
      const keys = rows.map((row) => row.storage_key);
      await this.cleaner.queue(db, keys);
      return keys;
    });
    await this.cleaner.flush(keys);
  }
}
