import fs from 'node:fs';
import path from 'node:path';
import type { JobFeedback } from '../jobs/job.entity.js';
import type { QgisRunResult } from './qgis-process.js';

/** What a script wrote to result.json (QGIS-CONTRACT). */
export interface ScriptResult {
  feedback: JobFeedback;
  project_details?: Record<string, unknown> | null;
  thumbnail?: string | null;
  /** package: the files written into `package/`, relative to it. */
  package_files?: string[];
  /** delta_apply: the data files it changed in `files/`, relative to it (DELTAS-CONTRACT). */
  changed_files?: string[];
}

/** A job's feedback when it failed before or outside its script. */
export function failure(errorType: NonNullable<JobFeedback['error_type']>, error: string): JobFeedback {
  return { feedback_version: '2.0', steps: [], outputs: {}, error, error_type: errorType };
}

const tail = (output: string) => output.trim().split('\n').slice(-20).join('\n');

/**
 * How the script's run ended, as the job's outcome: its result.json when it wrote one and exited 0;
 * otherwise a failure saying why (the worker killed it, it crashed, it wrote nothing readable).
 */
export function readOutcome(workdir: string, run: QgisRunResult, limits: { timeoutSeconds: number; memoryMb: number }): ScriptResult {
  if (run.killed === 'timeout')
    return { feedback: failure('TIMEOUT', `The job ran longer than JOB_TIMEOUT_SECONDS (${limits.timeoutSeconds} s) and was stopped`) };
  if (run.killed === 'memory') return { feedback: failure('UNKNOWN', `The job used more than JOB_MEMORY_MB (${limits.memoryMb} MiB) and was stopped`) };
  if (run.spawnError) return { feedback: failure('MISSING_QGIS', `QGIS's Python could not be started: ${run.spawnError}`) };
  if (run.exitCode !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with status ${run.exitCode}`;
    return { feedback: { ...failure('UNKNOWN', `The QGIS process ${how}`), error_stack: tail(run.output) } };
  }
  try {
    const result = JSON.parse(fs.readFileSync(path.join(workdir, 'result.json'), 'utf8')) as ScriptResult;
    if (!result || typeof result.feedback !== 'object' || result.feedback === null) throw new Error('it has no feedback object');
    return result;
  } catch (error) {
    return {
      feedback: { ...failure('UNKNOWN', `The QGIS process wrote no readable result.json (${(error as Error).message})`), error_stack: tail(run.output) },
    };
  }
}
