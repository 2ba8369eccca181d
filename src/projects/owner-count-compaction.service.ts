import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Periodic } from '../common/periodic.js';
import { ProjectsRepository } from './projects.repository.js';

const COMPACT_EVERY_MS = 5_000;

/**
 * Keeps owner_project_counts at about one row per owner: every project write appends count deltas
 * (migration OwnerProjectCounts), and a list's total sums its owners' rows, so their number is what a
 * count reads. Every few seconds, the owners that changed since the last round have their rows folded
 * into one. Started once the schema is migrated (app.factory.ts); several instances may run it at once.
 */
@Injectable()
export class OwnerCountCompaction implements OnApplicationShutdown {
  private readonly logger = new Logger('OwnerCountCompaction');
  private readonly periodic = new Periodic("compacting the owners' project counts", COMPACT_EVERY_MS, () => this.compact(), this.logger);
  private after = '0';

  constructor(private readonly projects: ProjectsRepository) {}

  start(): void {
    this.periodic.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /** One round now (tests, and the timer); answers how many owners were folded. */
  async compact(): Promise<number> {
    const { newest, owners } = await this.projects.compactOwnerCounts(this.after);
    this.after = newest;
    return owners;
  }
}
