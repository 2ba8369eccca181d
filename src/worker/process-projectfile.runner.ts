import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobsRepository, type ClaimedJob } from '../jobs/jobs.repository.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { FileStorage } from '../storage/file-storage.js';
import { StorageCleaner } from '../storage/storage-cleaner.js';
import type { ScriptResult } from './job-result.js';

/**
 * Stores what a process_projectfile job found (spec §10.4), in one transaction with the job's end:
 * its project_details (null when it failed), and its 100×100 rendering as the thumbnail unless a
 * person uploaded one. Answers false when the job was no longer this worker's (nothing stored).
 */
@Injectable()
export class ProcessProjectfileRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobsRepository,
    private readonly projects: ProjectsRepository,
    private readonly storage: FileStorage,
    private readonly cleaner: StorageCleaner,
  ) {}

  async store(job: ClaimedJob, workerId: string, workdir: string, result: ScriptResult, output: string | null): Promise<boolean> {
    const succeeded = !result.feedback.error;
    const thumbnail = succeeded ? await this.storeThumbnailBytes(job.project_id, workdir, result.thumbnail) : null;
    let outcome: { held: boolean; stored: boolean; replaced: string | null };
    try {
      outcome = await this.dataSource.transaction(async (tx) => {
        const projects = this.projects.withinTx(tx);
        await projects.storeProjectDetails(job.project_id, succeeded ? (result.project_details ?? null) : null);
        const set = thumbnail ? await projects.setJobThumbnail(job.project_id, thumbnail.key, thumbnail.etag) : { stored: false, replaced: null };
        const held = await this.jobs.withinTx(tx).finish(job.id, workerId, succeeded ? 'finished' : 'failed', result.feedback, output);
        if (!held) throw new JobGone();
        await this.cleaner.queue(tx, set.replaced ? [set.replaced] : []);
        return { held, ...set };
      });
    } catch (error) {
      if (thumbnail) await this.storage.delete(thumbnail.key).catch(() => undefined);
      if (error instanceof JobGone) return false;
      throw error;
    }
    if (thumbnail && !outcome.stored) await this.storage.delete(thumbnail.key).catch(() => undefined);
    await this.cleaner.flush(outcome.replaced ? [outcome.replaced] : []);
    return true;
  }

  private async storeThumbnailBytes(projectId: string, workdir: string, relative: string | null | undefined): Promise<{ key: string; etag: string } | null> {
    if (!relative) return null;
    const file = path.resolve(workdir, relative);
    if (!file.startsWith(workdir + path.sep) || !fs.existsSync(file)) return null;
    const bytes = fs.readFileSync(file);
    if (!bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return null;
    const key = `thumbnails/${projectId}/${randomUUID()}.png`;
    await this.storage.put(key, Readable.from([bytes]));
    return { key, etag: createHash('md5').update(bytes).digest('hex') };
  }
}

class JobGone extends Error {}
