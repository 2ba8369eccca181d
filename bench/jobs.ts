/**
 * npm run bench:jobs -- [--runs 5] [--jobs 12] [--layers 10]
 *
 * What a process_projectfile job costs with real QGIS (docs/worker.md, "Measured"), on a project of
 * --layers GeoPackage layers built by qgis/tests/make_project.py:
 * - QGIS start-up: the wall time of qgis/check_qgis.py, and the start_qgis step of the job script
 *   (from the `step start_qgis done in …` line of its log), median of --runs;
 * - one job: the script's wall time and its peak memory (the `peak memory` line of its log, the
 *   kernel's high-water mark of the QGIS process), median and maximum of --runs;
 * - jobs per minute: --jobs jobs run by the script alone, one at a time and two at a time (what one
 *   worker with WORKER_CONCURRENCY 1 or 2, or two workers, can do at most on this machine).
 *
 * Writes bench/results/jobs.json and prints a Markdown table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeProject, runJobScript, runQgisScript, type JobRun } from '../test/support/qgis.js';
import { ROOT } from './processes.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    jobs: { type: 'string', default: '12' },
    layers: { type: 'string', default: '10' },
  },
});
const runs = Number(values.runs);
const jobCount = Number(values.jobs);
const layerCount = Number(values.layers);
if (![runs, jobCount, layerCount].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--runs, --jobs and --layers must be positive whole numbers');

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor((numbers.length - 1) / 2)];
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function logged(run: JobRun, pattern: RegExp): number {
  const match = pattern.exec(run.output);
  if (!match) throw new Error(`no ${pattern} in the job's log:\n${run.output}`);
  return Number(match[1]);
}

async function timedJob(projectDir: string, projectFile: string): Promise<{ seconds: number; startQgis: number; peakMb: number }> {
  const started = performance.now();
  const run = await runJobScript({ type: 'process_projectfile', project_file: projectFile }, projectDir);
  const seconds = (performance.now() - started) / 1000;
  fs.rmSync(run.workdir, { recursive: true, force: true });
  if (run.code !== 0 || run.result?.feedback.error) throw new Error(`the job failed (${run.code}):\n${run.output}`);
  return { seconds, startQgis: logged(run, /step start_qgis done in ([\d.]+) s/), peakMb: logged(run, /peak memory (\d+) MB/) };
}

/** Runs `count` jobs, `parallel` at a time; jobs per minute. */
async function throughput(projectDir: string, projectFile: string, count: number, parallel: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) {
      next++;
      await timedJob(projectDir, projectFile);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return (count / ((performance.now() - started) / 1000)) * 60;
}

async function main() {
  const project = await makeProject({ name: 'bench', layers: [`many:${layerCount}`] });
  try {
    const checks: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const run = await runQgisScript('check_qgis.py', []);
      if (run.code !== 0) throw new Error(`check_qgis.py failed:\n${run.output}`);
      checks.push((performance.now() - started) / 1000);
    }
    const jobs = [];
    for (let i = 0; i < runs; i++) jobs.push(await timedJob(project.dir, project.project_file));
    const results = {
      measured_at: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`,
      qgis: JSON.parse((await runQgisScript('check_qgis.py', [])).stdout).qgis_version as string,
      layers: layerCount,
      runs,
      check_qgis_seconds: round(median(checks)),
      start_qgis_step_seconds: round(median(jobs.map((job) => job.startQgis))),
      job_seconds: round(median(jobs.map((job) => job.seconds))),
      job_peak_mb: Math.max(...jobs.map((job) => job.peakMb)),
      jobs_per_minute_1: round(await throughput(project.dir, project.project_file, jobCount, 1), 1),
      jobs_per_minute_2: round(await throughput(project.dir, project.project_file, jobCount, 2), 1),
    };
    const resultsDir = path.join(ROOT, 'bench/results');
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.writeFileSync(path.join(resultsDir, 'jobs.json'), JSON.stringify(results, null, 2) + '\n');
    console.log(
      [
        `process_projectfile, ${layerCount} GeoPackage layers, QGIS ${results.qgis}; ${results.machine}`,
        '',
        '| measure | value |',
        '|---|---|',
        `| QGIS start-up (check_qgis.py, median of ${runs}) | ${results.check_qgis_seconds} s |`,
        `| QGIS start-up inside a job (start_qgis step, median) | ${results.start_qgis_step_seconds} s |`,
        `| one job, whole script (median) | ${results.job_seconds} s |`,
        `| peak memory of the QGIS process (max of ${runs}) | ${results.job_peak_mb} MB |`,
        `| jobs per minute, one at a time (${jobCount} jobs) | ${results.jobs_per_minute_1} |`,
        `| jobs per minute, two at a time (${jobCount} jobs) | ${results.jobs_per_minute_2} |`,
      ].join('\n'),
    );
  } finally {
    fs.rmSync(project.dir, { recursive: true, force: true });
  }
}

await main();
