import fs from 'node:fs';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { ObjectNotFound } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { queueApplyJobs } from '../deltas/apply-queue.js';
import { DeltasRepository, type DeltaOutcome } from '../deltas/deltas.repository.js';
import { isQgisProjectFile, isRestrictedFile, validFilePath } from '../files/file-rules.js';
import { FilesRepository } from '../files/files.repository.js';
import { putLocalFile } from '../files/local-file-upload.js';
import type { StreamedUpload } from '../files/upload-stream.js';
import type { JobFeedback } from '../jobs/job.entity.js';
import { JobsRepository, type ClaimedJob, type LostJob } from '../jobs/jobs.repository.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { FileStorage } from '../storage/file-storage.js';
import { StorageCleaner } from '../storage/storage-cleaner.js';
import type { ScriptResult } from './job-result.js';

/** Spec §10.3: a delta whose apply jobs failed this many times ends `error`. */
export const MAX_APPLY_ATTEMPTS = 3;

/** SQLite's side files of a GeoPackage: never a project file of their own (DELTAS-CONTRACT). */
const SIDE_FILE = /-(wal|shm|journal)$/i;

const OUTCOMES = new Set(['applied', 'conflict', 'not_applied', 'error']);

/** A version of a project file a job's folder was built from. */
export interface BaseFile {
  name: string;
  storage_key: string;
  sha256: string;
}

/**
 * The worker's side of delta_apply (spec §11.3, DELTAS-CONTRACT): what job.json says beyond the
 * common fields, the deltas going `started` with the job, and its end. A job that succeeded stores,
 * in one transaction with its end, each delta's outcome and the data files the script changed as new
 * versions of the project files. A job that failed (a crash, a timeout, an unusable result, files
 * that could not be stored), or whose worker vanished, stores nothing and gives its deltas back to
 * the queue with one attempt more, so an edit from the field is never lost to a crash; after
 * MAX_APPLY_ATTEMPTS a delta ends `error`.
 */
@Injectable()
export class DeltaApplyRunner {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: JobsRepository,
    private readonly deltas: DeltasRepository,
    private readonly files: FilesRepository,
    private readonly projects: ProjectsRepository,
    private readonly accounts: AccountsRepository,
    private readonly storage: FileStorage,
    private readonly cleaner: StorageCleaner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** job.json's fields for the script: the project's conflict rule, the job's deltas in push order, the features created before. */
  async input(job: ClaimedJob): Promise<Record<string, unknown>> {
    const deltas = await this.deltas.jobDeltas(job.id);
    const clientIds = [...new Set(deltas.map((delta) => delta.client_id))];
    return {
      overwrite_conflicts: (await this.projects.overwriteConflicts(job.project_id)) ?? true,
      deltas,
      created_features: clientIds.length ? await this.deltas.createdFeatures(job.project_id, clientIds) : [],
    };
  }

  /** The job's process runs from now on, and its deltas are `started` (STATUS_BUSY) with it. False when the job is no longer this worker's. */
  markStarted(job: ClaimedJob, workerId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await this.jobs.withinTx(tx).markStarted(job.id, workerId))) return false;
      await this.deltas.withinTx(tx).markStarted(job.id);
      return true;
    });
  }

  /** Ends the job with what its script answered (or the failure the worker saw instead). */
  async store(job: ClaimedJob, workerId: string, workdir: string, base: BaseFile[], result: ScriptResult, output: string | null): Promise<void> {
    if (result.feedback.error) return this.fail(job, workerId, result.feedback, output);
    let outcomes: DeltaOutcome[];
    let changed: string[];
    try {
      outcomes = await this.outcomes(job, result);
      changed = outcomes.some((outcome) => outcome.status === 'applied') ? changedFiles(workdir, result.changed_files) : [];
    } catch (error) {
      return this.fail(job, workerId, failed(result.feedback, `The apply job's result is unusable: ${(error as Error).message}`), output);
    }

    const stored: { path: string; upload: StreamedUpload; restricted: boolean }[] = [];
    try {
      for (const name of changed) {
        const upload = await putLocalFile(this.storage, job.project_id, path.join(workdir, 'files', ...name.split('/')));
        if (upload.sha256 === base.find((file) => file.name === name)?.sha256) {
          await this.storage.delete(upload.key); // the same bytes again: no new version
          continue;
        }
        stored.push({ path: name, upload, restricted: isRestrictedFile(name, job.the_qgis_file_name) });
      }
    } catch (error) {
      await this.removeStored(stored);
      return this.fail(job, workerId, failed(result.feedback, `The changed data could not be stored: ${(error as Error).message}`), output);
    }

    let pruned: string[];
    try {
      pruned = await this.db.transaction(async (tx) => {
        // Account, then project, then job: the order uploads and project deletes lock in.
        await this.files.withinTx(tx).lockProjectAndOwner(job.project_id);
        if (!(await this.jobs.withinTx(tx).finish(job.id, workerId, 'finished', result.feedback, output))) throw new JobGone();
        const files = this.files.withinTx(tx);
        // A person uploaded one of these files while the job ran: storing ours would silently drop
        // theirs. The deltas are applied again, to the new file.
        const now = await files.newestFiles(job.project_id);
        const moved = stored.filter((file) => now.find((f) => f.name === file.path)?.storage_key !== base.find((f) => f.name === file.path)?.storage_key);
        if (moved.length) throw new FilesMoved(moved.map((file) => file.path));

        await this.deltas.withinTx(tx).storeOutcomes(job.id, outcomes);
        const keys = stored.length ? await files.addJobVersions(job.project_id, stored, this.config.storageKeepVersions) : [];
        if (!stored.length && outcomes.some((outcome) => outcome.status === 'applied')) await files.markDataUpdated(job.project_id);
        await this.cleaner.queue(tx, keys);
        return keys;
      });
    } catch (error) {
      await this.removeStored(stored);
      if (error instanceof JobGone || error instanceof ObjectNotFound) return; // no longer this worker's job, or the project was deleted
      const why = error instanceof FilesMoved ? error.message : `The outcome could not be stored: ${(error as Error).message}`;
      return this.fail(job, workerId, failed(result.feedback, why), output);
    }
    await this.cleaner.flush(pruned);
  }

  /**
   * Ends the job `failed` (when this worker still holds it) and gives its deltas back to the queue, in
   * one transaction that holds the project's lock as queueApplyJobs needs.
   */
  async fail(job: ClaimedJob, workerId: string, feedback: JobFeedback, output: string | null): Promise<void> {
    await this.db.transaction(async (tx) => {
      const project = await this.jobs.withinTx(tx).lockProject(job.project_id);
      if (!project) return; // deleted: its deltas went with it
      if (!(await this.jobs.withinTx(tx).finish(job.id, workerId, 'failed', feedback, output))) return;
      await this.requeue(tx, job, project, feedback.error ?? 'unknown error', feedback.error_type !== 'MISSING_QGIS');
    });
  }

  /**
   * Lost apply jobs (WORKER_LOST): each is ended, and its deltas returned to the queue, in a
   * transaction of its own that locks its project first. Answers the ids it ended.
   */
  async failLostJobs(timeoutSeconds: number): Promise<string[]> {
    const ended: string[] = [];
    for (const lost of await this.jobs.lostApplyJobs(timeoutSeconds)) {
      const done = await this.db.transaction(async (tx) => {
        const project = await this.jobs.withinTx(tx).lockProject(lost.project_id);
        if (!project || !(await this.jobs.withinTx(tx).failLostJob(lost.id, timeoutSeconds))) return false;
        await this.requeue(tx, lost, project, 'the worker running it stopped answering (WORKER_LOST)', true);
        return true;
      });
      if (done) ended.push(lost.id);
    }
    return ended;
  }

  /**
   * Pending deltas that no job holds get one: those a worker without QGIS gave back, and those that
   * waited while their owner was over quota (queueApplyJobs checks it again). The safety net under
   * "nothing lost": a delta never waits for a push that may not come. Answers how many jobs it made.
   */
  async queueWaiting(): Promise<number> {
    let created = 0;
    for (const projectId of await this.deltas.projectsWithUnassignedPending(100)) {
      created += await this.db.transaction(async (tx) => {
        const project = await this.jobs.withinTx(tx).lockProject(projectId);
        if (!project) return 0;
        const outcome = await queueApplyJobs(tx, this.queueDeps(), project, null);
        return outcome.kind === 'created' ? outcome.jobs.length : 0;
      });
    }
    return created;
  }

  /** Clean shutdown: the worker's jobs go back to pending, and their deltas with them (still held by them). */
  releaseJobs(workerId: string): Promise<void> {
    return this.db.transaction(async (tx) => {
      const released = await this.jobs.withinTx(tx).releaseJobs(workerId);
      await this.deltas.withinTx(tx).unstart(released);
    });
  }

  /**
   * The deltas of a job that ended failed wait again, and get a new apply job. When the worker could
   * not start QGIS at all, no attempt was made: they wait, uncounted and unqueued, for the next push or
   * POST /jobs/ (a new job would fail the same way at once).
   */
  private async requeue(
    tx: EntityManager,
    job: ClaimedJob | LostJob,
    project: { id: string; owner_id: string; owner: string },
    reason: string,
    attempted: boolean,
  ): Promise<void> {
    const waiting = await this.deltas.withinTx(tx).returnToQueue(job.id, reason, { maxAttempts: MAX_APPLY_ATTEMPTS, countAttempt: attempted });
    if (waiting === 0 || !attempted) return;
    await queueApplyJobs(tx, this.queueDeps(), project, job.created_by_id);
  }

  private queueDeps() {
    return { jobs: this.jobs, deltas: this.deltas, accounts: this.accounts, defaultQuotaBytes: this.config.defaultStorageQuotaBytes };
  }

  /** One outcome per delta of the job, from the script's delta_feedback. */
  private async outcomes(job: ClaimedJob, result: ScriptResult): Promise<DeltaOutcome[]> {
    const expected = new Set((await this.deltas.jobDeltas(job.id)).map((delta) => delta.id));
    const listed = (result.feedback.outputs as { apply_deltas?: { delta_feedback?: unknown } } | undefined)?.apply_deltas?.delta_feedback;
    if (!Array.isArray(listed)) throw new Error('outputs.apply_deltas.delta_feedback is not a list');
    const outcomes = new Map<string, DeltaOutcome>();
    for (const entry of listed as Record<string, unknown>[]) {
      const { delta_id: id, status, modified_pk: modifiedPk, ...feedback } = entry ?? {};
      if (typeof id !== 'string' || !expected.has(id)) throw new Error(`delta_feedback names ${JSON.stringify(id)}, not a delta of this job`);
      if (typeof status !== 'string' || !OUTCOMES.has(status)) throw new Error(`delta ${id} has the status ${JSON.stringify(status)}`);
      if (outcomes.has(id)) throw new Error(`delta ${id} is listed twice`);
      outcomes.set(id, {
        id,
        status: status as DeltaOutcome['status'],
        feedback,
        modifiedPk: modifiedPk === null || modifiedPk === undefined ? null : String(modifiedPk),
      });
    }
    const missing = [...expected].filter((id) => !outcomes.has(id));
    if (missing.length) throw new Error(`delta_feedback lacks ${missing.length} delta(s) of this job, e.g. ${missing[0]}`);
    return [...outcomes.values()];
  }

  private async removeStored(stored: { upload: StreamedUpload }[]): Promise<void> {
    for (const { upload } of stored) await this.storage.delete(upload.key).catch(() => undefined);
  }
}

/**
 * The script's list of changed files, each a regular file inside `files/` that is one of the
 * project's data files or a new data file at a valid project path: never the QGIS project file
 * (QGIS 3.22 would drop what it does not understand), never SQLite's side files, never a link or a
 * path out of the folder. Anything else makes the result unusable.
 */
export function changedFiles(workdir: string, listed: unknown): string[] {
  if (listed === undefined || listed === null) return [];
  if (!Array.isArray(listed)) throw new Error('changed_files is not a list');
  const root = path.join(workdir, 'files');
  const names = new Set<string>();
  for (const name of listed) {
    if (typeof name !== 'string') throw new Error(`changed_files lists ${JSON.stringify(name)}`);
    try {
      validFilePath(name);
    } catch {
      throw new Error(`changed_files lists "${name}", not a valid project file path`);
    }
    if (SIDE_FILE.test(name)) throw new Error(`changed_files lists "${name}", a database side file`);
    if (isQgisProjectFile(name)) throw new Error(`changed_files lists "${name}": an apply job never changes the QGIS project file`);
    const file = path.resolve(root, ...name.split('/'));
    const stat = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile() || !fs.realpathSync(file).startsWith(fs.realpathSync(root) + path.sep))
      throw new Error(`changed_files lists "${name}", not a file inside files/`);
    names.add(name);
  }
  return [...names];
}

/** The script's feedback (its steps and outputs kept for the log), as a failure of the job. */
const failed = (feedback: JobFeedback, error: string): JobFeedback => ({ ...feedback, error, error_type: 'UNKNOWN' });

class JobGone extends Error {}

class FilesMoved extends Error {
  constructor(paths: string[]) {
    super(`${paths.join(', ')} changed while the job ran; the deltas are applied again to the new version`);
  }
}
