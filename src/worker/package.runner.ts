import fs from 'node:fs';
import path from 'node:path';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobsRepository, type ClaimedJob } from '../jobs/jobs.repository.js';
import { fileDigests } from '../packages/file-digests.js';
import { PackagesRepository } from '../packages/packages.repository.js';
import { FileStorage } from '../storage/file-storage.js';
import { StorageCleaner } from '../storage/storage-cleaner.js';
import type { ScriptResult } from './job-result.js';

/** The storage key of a package file: per job, so a new package never overwrites one being downloaded. */
export const packageKey = (projectId: string, jobId: string, name: string) => `packages/${projectId}/${jobId}/${name}`;

/**
 * Stores what a package job made (spec §12), in one transaction with the job's end: its files (put
 * in storage first, removed again if the job fails or is no longer this worker's), the project's
 * data_last_packaged_at, and older packages superseded. Answers false when the job was gone.
 */
@Injectable()
export class PackageRunner {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: JobsRepository,
    private readonly packages: PackagesRepository,
    private readonly storage: FileStorage,
    private readonly cleaner: StorageCleaner,
  ) {}

  async store(job: ClaimedJob, workerId: string, workdir: string, result: ScriptResult, output: string | null): Promise<boolean> {
    let feedback = result.feedback;
    const stored: { name: string; size: number; md5: string; sha256: string; key: string }[] = [];
    if (!feedback.error) {
      try {
        for (const name of packageFiles(workdir, result.package_files)) {
          const file = path.join(workdir, 'package', ...name.split('/'));
          const key = packageKey(job.project_id, job.id, name);
          await this.storage.put(key, fs.createReadStream(file));
          stored.push({ name, key, ...(await fileDigests(file)) });
        }
      } catch (error) {
        await this.removeStored(stored);
        feedback = { ...feedback, error: `The package could not be stored: ${(error as Error).message}`, error_type: 'UNKNOWN' };
      }
    }
    const succeeded = !feedback.error;
    let dropped: string[];
    try {
      dropped = await this.db.transaction(async (db) => {
        const gone = succeeded ? await this.packages.storeSucceeded(db, job.id, job.project_id, stored) : [];
        if (!(await this.jobs.withinTx(db).finish(job.id, workerId, succeeded ? 'finished' : 'failed', feedback, output))) throw new JobGone();
        await this.cleaner.queue(db, gone);
        return gone;
      });
    } catch (error) {
      await this.removeStored(stored);
      if (error instanceof JobGone) return false;
      throw error;
    }
    await this.cleaner.flush(dropped);
    return true;
  }

  /** Packages superseded over an hour ago (the worker runs this now and then). */
  async dropExpired(): Promise<void> {
    const keys = await this.db.transaction(async (db) => {
      const expired = await this.packages.dropExpired(db);
      await this.cleaner.queue(db, expired);
      return expired;
    });
    await this.cleaner.flush(keys);
  }

  private async removeStored(stored: { key: string }[]): Promise<void> {
    for (const { key } of stored) await this.storage.delete(key).catch(() => undefined);
  }
}

/** The script's list of package files, each a file inside `package/` (a script cannot point the worker elsewhere). */
function packageFiles(workdir: string, listed: unknown): string[] {
  if (!Array.isArray(listed) || listed.length === 0) throw new Error('the job listed no package files');
  const root = path.join(workdir, 'package');
  return listed.map((name) => {
    const file = typeof name === 'string' ? path.resolve(root, ...name.split('/')) : '';
    if (
      typeof name !== 'string' ||
      !file.startsWith(root + path.sep) ||
      name.split('/').some((part) => part === '' || part === '.' || part === '..') ||
      !fs.statSync(file, { throwIfNoEntry: false })?.isFile()
    ) {
      throw new Error(`"${String(name)}" is not a file of the package`);
    }
    return name;
  });
}

class JobGone extends Error {}
