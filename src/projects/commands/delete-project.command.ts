import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { StorageCleaner } from '../../storage/storage-cleaner.js';
import { ProjectsRepository } from '../projects.repository.js';

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
    private readonly dataSource: DataSource,
    private readonly projects: ProjectsRepository,
    private readonly cleaner: StorageCleaner,
  ) {}

  async execute({ projectId }: DeleteProjectCommand): Promise<void> {
    const keys = await this.dataSource.transaction(async (tx) => {
      const projects = this.projects.withinTx(tx);
      // Locked first, so an upload committing meanwhile is either waited for (and its key read below)
      // or finds the project gone; otherwise its bytes would outlive the rows the cascade removes.
      await projects.lock(projectId);
      const keys = await projects.storedKeys(projectId);
      await projects.delete(projectId);
      await this.cleaner.queue(tx, keys);
      return keys;
    });
    await this.cleaner.flush(keys);
  }
}
