import { Logger } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { FileStorage } from '../../storage/file-storage.js';

/**
 * DELETE /projects/{id}/ (spec §5.8): the rows go first, in one transaction (collaborators cascade),
 * then the stored bytes. A storage failure after the commit is logged, never undoes the delete.
 */
export class DeleteProjectCommand extends Command<void> {
  constructor(readonly projectId: string) {
    super();
  }
}

@CommandHandler(DeleteProjectCommand)
export class DeleteProjectHandler implements ICommandHandler<DeleteProjectCommand> {
  private readonly logger = new Logger('DeleteProject');

  constructor(
    private readonly db: DataSource,
    private readonly storage: FileStorage,
  ) {}

  async execute({ projectId }: DeleteProjectCommand): Promise<void> {
    const storedKeys: string[] = await this.db.transaction(async (db) => {
      const [rows] = await db.query(`DELETE FROM projects WHERE id = $1 RETURNING thumbnail_key`, [projectId]);
      return rows.map((row: { thumbnail_key: string | null }) => row.thumbnail_key).filter(Boolean);
    });
    for (const key of storedKeys) {
      await this.storage.delete(key).catch((error) => this.logger.error(`could not remove ${key} of deleted project ${projectId}: ${error}`));
    }
  }
}
