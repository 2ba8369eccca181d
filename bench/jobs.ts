/**
 * npm run bench:jobs -- [--runs 5] [--jobs 12] [--layers 10]
 *
 * What a process_projectfile job costs with real QGIS (docs/worker.md, "Measured"), on a project of
 * --layers GeoPackage layers built by qgis/tests/make_project.py:
 * - QGIS start-up: the wall time of qgis/check_qgis.py, and the start_qgis step of the job script
 *   (from the `step start_qgis done in …` line of its log), median of --runs;
 * - one job: the script's wall time and its peak memory (the `peak memory` line of its log, the
 *   kernel's high-water mark of the QGIS process), median and maximum of --runs;
 * - jobs per minute through the real worker: the production server (`dist/src/main.js`, WORKER=false)
 *   on a fresh embedded PostgreSQL, --jobs projects uploaded as QFieldSync does (data, then the .qgs
 *   last, which queues one process_projectfile each), then one and then two worker processes
 *   (`dist/src/worker-main.js`, WORKER_CONCURRENCY 1) started on the queue; from the first job's
 *   started_at to the last one's finished_at, with the workers' own peak memory;
 * - the same count of jobs run by the script alone, one and two at a time, for the worker's overhead.
 *
 * Writes bench/results/jobs.json and prints a Markdown table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres.js';
import { makeProject, runJobScript, runQgisScript, type MadeProject } from '../test/support/qgis.js';
import { apiCaller, BENCH_ADMIN, productionEnv, ROOT, rssMb, type Server, sleep, startServer, stopServer, waitUntilAnswering } from './processes.js';

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

function logged(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  if (!match) throw new Error(`no ${pattern} in the job's log:\n${output}`);
  return Number(match[1]);
}
const startQgisSeconds = (output: string) => logged(output, /step start_qgis done in ([\d.]+) s/);
const peakMb = (output: string) => logged(output, /peak memory (\d+) MB/);

async function timedJob(projectDir: string, projectFile: string): Promise<{ seconds: number; startQgis: number; peakMb: number }> {
  const started = performance.now();
  const run = await runJobScript({ type: 'process_projectfile', project_file: projectFile }, projectDir);
  const seconds = (performance.now() - started) / 1000;
  fs.rmSync(run.workdir, { recursive: true, force: true });
  if (run.code !== 0 || run.result?.feedback.error) throw new Error(`the job failed (${run.code}):\n${run.output}`);
  return { seconds, startQgis: startQgisSeconds(run.output), peakMb: peakMb(run.output) };
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

interface WorkerResult {
  workers: number;
  jobs_per_minute: number;
  start_qgis_step_seconds: number;
  job_peak_mb: number;
  worker_process_peak_mb: number;
}

/** The jobs of `count` projects run by `workerCount` worker processes, as docstring above says. */
async function viaWorkers(project: MadeProject, workerCount: number, count: number): Promise<WorkerResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-bench-jobs-'));
  // As root the embedded PostgreSQL runs as "postgres", which must traverse to its data directory.
  fs.chmodSync(dir, 0o711);
  let database: EmbeddedPostgresHandle | null = null;
  const servers: Server[] = [];
  try {
    database = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 0, log: () => undefined });
    const env = productionEnv(database.url, path.join(dir, 'data'));
    const port = await freePort();
    const api = startServer('api', path.join(ROOT, 'dist/src/main.js'), { ...env, PORT: String(port), WORKER: 'false' }, port);
    servers.push(api);
    await waitUntilAnswering(api, '/api/v1/status/');
    const call = apiCaller(api);
    const { token } = await call('POST', 'auth/token/', undefined, BENCH_ADMIN);
    // QFieldSync's order: the data first, the QGIS file last (its upload queues the processing).
    const files = [...project.files.filter((name) => name !== project.project_file), project.project_file];
    const projectIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const { id } = await call('POST', 'projects/', token, { name: `bench-jobs-${workerCount}-${i}` });
      for (const name of files) {
        const form = new FormData();
        form.append('file', new Blob([fs.readFileSync(path.join(project.dir, name))]), name);
        await call('POST', `files/${id}/${name}/`, token, form);
      }
      projectIds.push(id);
    }

    for (let i = 0; i < workerCount; i++) servers.push(startServer(`worker${i + 1}`, path.join(ROOT, 'dist/src/worker-main.js'), env, port));
    const workers = servers.slice(1);
    let workerPeak = 0;
    const deadline = Date.now() + count * 120_000;
    let jobs: { id: string; status: string }[] = [];
    for (;;) {
      for (const worker of workers) {
        if (worker.child.exitCode !== null) throw new Error(`${worker.name} exited:\n${worker.output.join('\n')}`);
        workerPeak = Math.max(workerPeak, rssMb(worker.child.pid) ?? 0);
      }
      jobs = (await Promise.all(projectIds.map((id) => call('GET', `jobs/?project_id=${id}`, token)))).flat();
      if (jobs.length === count && jobs.every((job) => job.status === 'finished' || job.status === 'failed')) break;
      if (Date.now() > deadline) throw new Error(`the jobs did not finish: ${JSON.stringify(jobs.map((job) => job.status))}`);
      await sleep(250);
    }
    const details = await Promise.all(jobs.map((job) => call('GET', `jobs/${job.id}/`, token)));
    const failed = details.find((job) => job.status !== 'finished');
    if (failed) throw new Error(`a job failed: ${JSON.stringify(failed.feedback)}\n${failed.output}`);
    const first = Math.min(...details.map((job) => Date.parse(job.started_at)));
    const last = Math.max(...details.map((job) => Date.parse(job.finished_at)));
    return {
      workers: workerCount,
      jobs_per_minute: round((count / ((last - first) / 1000)) * 60, 1),
      start_qgis_step_seconds: round(median(details.map((job) => startQgisSeconds(job.output)))),
      job_peak_mb: Math.max(...details.map((job) => peakMb(job.output))),
      worker_process_peak_mb: Math.round(workerPeak),
    };
  } finally {
    for (const server of servers.reverse()) await stopServer(server);
    await database?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os
        .loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}`,
      qgis: JSON.parse((await runQgisScript('check_qgis.py', [])).stdout).qgis_version as string,
      layers: layerCount,
      runs,
      check_qgis_seconds: round(median(checks)),
      start_qgis_step_seconds: round(median(jobs.map((job) => job.startQgis))),
      job_seconds: round(median(jobs.map((job) => job.seconds))),
      job_peak_mb: Math.max(...jobs.map((job) => job.peakMb)),
      script_jobs_per_minute_1: round(await throughput(project.dir, project.project_file, jobCount, 1), 1),
      script_jobs_per_minute_2: round(await throughput(project.dir, project.project_file, jobCount, 2), 1),
      via_workers: [await viaWorkers(project, 1, jobCount), await viaWorkers(project, 2, jobCount)],
    };
    const [one, two] = results.via_workers;
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
        `| jobs per minute, one worker process (${jobCount} jobs) | ${one.jobs_per_minute} |`,
        `| jobs per minute, two worker processes (${jobCount} jobs) | ${two.jobs_per_minute} |`,
        `| jobs per minute, the script alone, one / two at a time | ${results.script_jobs_per_minute_1} / ${results.script_jobs_per_minute_2} |`,
        `| QGIS start-up inside a job run by the worker (median, one / two workers) | ${one.start_qgis_step_seconds} s / ${two.start_qgis_step_seconds} s |`,
        `| peak memory of a job's QGIS process under the worker (max) | ${Math.max(one.job_peak_mb, two.job_peak_mb)} MB |`,
        `| peak memory of a worker process itself (Node, max) | ${Math.max(one.worker_process_peak_mb, two.worker_process_peak_mb)} MB |`,
      ].join('\n'),
    );
  } finally {
    fs.rmSync(project.dir, { recursive: true, force: true });
  }
}

await main();
