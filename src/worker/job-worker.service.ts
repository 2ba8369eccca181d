import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { JobFeedback } from '../jobs/job.entity.js';
import { FilesRepository } from '../files/files.repository.js';
import { JobsRepository, type ClaimedJob } from '../jobs/jobs.repository.js';
import { ProjectsRepository } from '../projects/projects.repository.js';
import { FileStorage } from '../storage/file-storage.js';
import { prepareJobFolder, removeJobFolder } from './job-folder.js';
import { DeltaApplyRunner, type BaseFile } from './delta-apply.runner.js';
import { failure, readOutcome, type ScriptResult } from './job-result.js';
import { PackageRunner } from './package.runner.js';
import { ProcessProjectfileRunner } from './process-projectfile.runner.js';
import { checkQgis, QGIS_SCRIPTS_DIR, runQgisScript, type QgisCheck } from './qgis-process.js';

/** Idle workers look for new jobs this often: a job starts within about this long. */
const POLL_MS = 1000;
/** Leases are renewed (and a deleted project's job noticed) this often. */
const RENEW_MS = 2000;
const HEARTBEAT_MS = 10_000;
/** How often any worker looks for jobs whose worker vanished. */
const REAP_MS = 5000;
const QGIS_RECHECK_MS = 60_000;
/** How often a worker that can start QGIS gives pending deltas that no job holds a job. */
const WAITING_DELTAS_MS = 30_000;
const LOG_RETENTION_MS = 60 * 60 * 1000;
/** Superseded packages are kept an hour; removing them a few minutes late is fine. */
const EXPIRED_PACKAGES_MS = 5 * 60 * 1000;
/** The job types this worker runs, and the script of qgis/ that runs each (QGIS-CONTRACT, DELTAS-CONTRACT). */
const SCRIPTS: Record<string, string> = { process_projectfile: 'process_projectfile.py', package: 'package.py', delta_apply: 'apply_deltas.py' };

const INSTALL_QGIS =
  "install Debian's QGIS Python packages (apt-get install --no-install-recommends python3-qgis qgis-providers) " +
  'or point QGIS_PYTHON at a Python that can import qgis';

interface Running {
  stop(): void;
  done: Promise<void>;
}

/**
 * The worker of spec §13: claims jobs from the queue in PostgreSQL (up to WORKER_CONCURRENCY at once,
 * one per project), runs each job's QGIS script in a child process in a folder of its own, stores what
 * it produced and ends the job in one transaction. Its leases say it is alive; the jobs of a worker
 * whose leases lapse are ended WORKER_LOST by whichever worker notices first.
 */
@Injectable()
export class JobWorker implements BeforeApplicationShutdown {
  readonly id = randomUUID();
  private readonly logger = new Logger('JobWorker');
  private readonly running = new Map<string, Running>();
  private readonly timers: NodeJS.Timeout[] = [];
  private qgis: QgisCheck = { ok: false, version: null, error: 'not checked yet' };
  private stopped = true;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobsRepository,
    private readonly files: FilesRepository,
    private readonly projects: ProjectsRepository,
    private readonly storage: FileStorage,
    private readonly processProjectfile: ProcessProjectfileRunner,
    private readonly packageRunner: PackageRunner,
    private readonly deltaApply: DeltaApplyRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Called once the schema is migrated; returns at once (the server does not wait for QGIS). QGIS is
   * checked before the first heartbeat and the first claim, so /status/ tells the truth from the start
   * and no job fails MISSING_QGIS on a machine that has it.
   */
  start(): void {
    this.stopped = false;
    this.loop = this.checkQgis().then(async () => {
      if (this.stopped) return;
      await this.beat(this.heartbeat());
      this.every(HEARTBEAT_MS, () => this.heartbeat());
      this.every(RENEW_MS, () => this.renewLeases());
      this.every(REAP_MS, () => this.failLostJobs());
      this.every(LOG_RETENTION_MS, () => this.clearOldLogs());
      this.every(EXPIRED_PACKAGES_MS, () => this.packageRunner.dropExpired());
      this.every(WAITING_DELTAS_MS, () => this.queueWaitingDeltas());
      this.every(QGIS_RECHECK_MS, async () => {
        if (!this.qgis.ok) await this.checkQgis();
      });
      await this.beat(this.failLostJobs());
      void this.beat(this.clearOldLogs());
      this.logger.log(
        `worker ${this.id} started: concurrency ${this.config.workerConcurrency}, ` +
          (this.qgis.ok ? `QGIS ${this.qgis.version}` : `QGIS missing (${this.qgis.error}); jobs will fail until you ${INSTALL_QGIS}`),
      );
      await this.claimLoop();
    });
  }

  /** Stops claiming, hands its running jobs back to the queue (another worker, or this one restarted, runs them) and stops their processes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.wake?.();
    await this.loop;
    await this.deltaApply.releaseJobs(this.id).catch((error) => this.logger.warn(`could not hand running jobs back: ${error}`));
    for (const job of this.running.values()) job.stop();
    await Promise.all([...this.running.values()].map((job) => job.done));
    await this.jobs.removeWorker(this.id).catch(() => undefined);
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        while (!this.stopped && this.running.size < this.config.workerConcurrency) {
          const job = await this.jobs.claim(this.id, this.config.jobLeaseSeconds);
          if (!job) break;
          this.launch(job);
        }
      } catch (error) {
        this.logger.warn(`could not claim jobs: ${error}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private launch(job: ClaimedJob): void {
    let stop = () => {};
    let stopped = false;
    const entry: Running = {
      stop: () => {
        stopped = true;
        stop();
      },
      done: Promise.resolve(),
    };
    entry.done = this.run(
      job,
      (fn) => (stop = fn),
      () => stopped,
    )
      .catch(async (error) => {
        // Whatever went wrong (a file missing from storage, the database), the job ends now rather than when its lease lapses.
        this.logger.error(`job ${job.id} (${job.type}): ${error?.stack ?? error}`);
        await this.end(job, { feedback: { ...failure('UNKNOWN', `The worker failed to run the job: ${error?.message ?? error}`) } }, null).catch(
          () => undefined,
        );
      })
      .finally(() => {
        this.running.delete(job.id);
        this.wake?.();
      });
    this.running.set(job.id, entry);
  }

  private async run(job: ClaimedJob, onStop: (stop: () => void) => void, isStopped: () => boolean): Promise<void> {
    const started = Date.now();
    if (!SCRIPTS[job.type]) {
      return this.end(job, { feedback: failure('UNKNOWN', `Jobs of type ${job.type} are not supported by this server yet`) }, null);
    }
    if (!this.qgis.ok) return this.end(job, { feedback: failure('MISSING_QGIS', `This worker cannot start QGIS (${this.qgis.error}): ${INSTALL_QGIS}`) }, null);
    if (!job.the_qgis_file_name) return this.end(job, { feedback: failure('FILE_NOT_FOUND', 'The project has no QGIS project file') }, null);

    const files = await this.files.newestFiles(job.project_id);
    let workdir: string | null = null;
    try {
      const extra = job.type === 'delta_apply' ? await this.deltaApply.input(job) : {};
      const input = { id: job.id, type: job.type, project_id: job.project_id, project_file: job.the_qgis_file_name, ...extra };
      workdir = await prepareJobFolder(this.storage, files, input);
      if (isStopped()) return;
      if (!(await (job.type === 'delta_apply' ? this.deltaApply.markStarted(job, this.id) : this.jobs.markStarted(job.id, this.id)))) return;
      const script = runQgisScript({
        python: this.config.qgisPython,
        script: path.join(QGIS_SCRIPTS_DIR, SCRIPTS[job.type]),
        workdir,
        timeoutMs: this.config.jobTimeoutSeconds * 1000,
        memoryMb: this.config.jobMemoryMb,
      });
      onStop(script.stop);
      if (isStopped()) script.stop();
      const run = await script.result;
      if (run.killed === 'stopped') return; // the job is no longer this worker's: nothing to store
      const outcome = readOutcome(workdir, run, { timeoutSeconds: this.config.jobTimeoutSeconds, memoryMb: this.config.jobMemoryMb });
      await this.end(job, outcome, run.output, workdir, files);
      this.logger.log(
        `job ${job.id} (${job.type}) ${outcome.feedback.error ? `failed: ${outcome.feedback.error}` : 'finished'} in ${Date.now() - started} ms, peak ${run.peakRssMb} MiB`,
      );
    } finally {
      if (workdir) removeJobFolder(workdir);
    }
  }

  /** Stores the outcome and ends the job, in one transaction (a failed process_projectfile leaves the project unprocessed). */
  private async end(job: ClaimedJob, outcome: ScriptResult, output: string | null, workdir = '', files: BaseFile[] = []): Promise<void> {
    if (job.type === 'process_projectfile') {
      await this.processProjectfile.store(job, this.id, workdir, outcome, output);
      return;
    }
    if (job.type === 'package') {
      await this.packageRunner.store(job, this.id, workdir, outcome, output);
      return;
    }
    if (job.type === 'delta_apply') {
      await this.deltaApply.store(job, this.id, workdir, files, outcome, output);
      return;
    }
    await this.jobs.finish(job.id, this.id, outcome.feedback.error ? 'failed' : 'finished', outcome.feedback as JobFeedback, output);
  }

  private async checkQgis(): Promise<void> {
    if (!fs.existsSync(path.join(QGIS_SCRIPTS_DIR, 'check_qgis.py'))) {
      this.qgis = { ok: false, version: null, error: `the QGIS scripts are missing from ${QGIS_SCRIPTS_DIR}` };
      return;
    }
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-qgis-check-'));
    try {
      this.qgis = await checkQgis(this.config.qgisPython, workdir);
    } finally {
      removeJobFolder(workdir);
    }
  }

  private heartbeat(): Promise<void> {
    return this.jobs.heartbeat({ id: this.id, qgisStatus: this.qgis.ok ? 'ok' : 'missing', qgisVersion: this.qgis.version, qgisError: this.qgis.error });
  }

  /** A job that is no longer this worker's (its project was deleted, or its lease lapsed and it was ended) is stopped. */
  private async renewLeases(): Promise<void> {
    const ids = [...this.running.keys()];
    const held = await this.jobs.renewLeases(this.id, ids, this.config.jobLeaseSeconds);
    for (const id of ids) {
      if (!held.has(id)) this.running.get(id)?.stop();
    }
  }

  private async failLostJobs(): Promise<void> {
    const ended = await this.dataSource.transaction(async (tx) => {
      const lost = await this.jobs.withinTx(tx).failLostJobs(this.config.jobTimeoutSeconds);
      // A lost process_projectfile leaves its project unprocessed.
      await this.projects.withinTx(tx).forgetProjectDetails(lost.filter((job) => job.type === 'process_projectfile').map((job) => job.project_id));
      return lost.map((job) => job.id);
    });
    // A lost delta_apply gives its deltas back to the queue (spec §10.3), one project at a time.
    ended.push(...(await this.deltaApply.failLostJobs(this.config.jobTimeoutSeconds)));
    if (ended.length) this.logger.warn(`ended ${ended.length} job(s) whose worker vanished (WORKER_LOST): ${ended.join(', ')}`);
  }

  private async queueWaitingDeltas(): Promise<void> {
    if (!this.qgis.ok) return; // the jobs would fail at once: another worker, or this one once QGIS is installed, queues them
    const created = await this.deltaApply.queueWaiting();
    if (created) this.logger.log(`queued ${created} apply job(s) for pending deltas that no job held`);
  }

  private async clearOldLogs(): Promise<void> {
    await this.jobs.clearOldLogs(this.config.jobLogRetentionDays);
  }

  private every(ms: number, task: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.stopped) return;
      busy = true;
      void this.beat(task()).finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Background work never throws: a database hiccup is logged and retried at the next tick. */
  private beat(work: Promise<void>): Promise<void> {
    return work.catch((error) => this.logger.warn(`worker: ${error?.message ?? error}`));
  }
}
