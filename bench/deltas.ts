/**
 * npm run bench:deltas -- [--runs 3] [--sizes 10,100,1000] [--creates 10]
 *
 * What applying deltas costs through the real server and worker (docs/deltas-performance.md): the
 * production API (`dist/src/main.js`, WORKER=false) and one worker process (`dist/src/worker-main.js`,
 * WORKER_CONCURRENCY 1) on a fresh embedded PostgreSQL; a project of one GeoPackage layer of points
 * (qgis/tests/make_project.py `big:<n>`) uploaded as QFieldSync does, packaged and downloaded as QField
 * does. Then, for each size, --runs pushes of that many deltas written against the package in QField's
 * format (--creates per cent creates with a geometry, the rest attribute patches of features no other
 * push touched, so no conflicts), each pushed as QField pushes and its delta file polled every 250 ms:
 * - push: the POST /deltas/ answer time;
 * - queued: push to the apply job's started_at (the worker's poll and claim);
 * - job: the apply job's started_at to finished_at (QGIS start, applying, storing the data file);
 * - apply step: the script's apply_deltas step alone (the `step apply_deltas done in …` line of the
 *   job's log), and the QGIS process's peak memory (its `peak memory` line);
 * - push to applied: push to the first poll that saw no delta pending or busy (what QField waits);
 * - deltas/s: deltas over the apply step, over the job's time, and over push to applied.
 * Medians over --runs. Every delta must end STATUS_APPLIED. Writes bench/results/deltas.json and
 * prints a Markdown table with the machine's load average before and after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres.js';
import {
  deltaFile,
  deltasSettled,
  downloadPackage,
  dumpFeatures,
  LayerEdits,
  newDevice,
  packageAsQField,
  pushDeltas,
  type Delta,
  type DumpedFeature,
} from '../test/support/field-device.js';
import { makeProject } from '../test/support/qgis.js';
import { apiCaller, BENCH_ADMIN, productionEnv, ROOT, type Server, sleep, startServer, stopServer, waitUntilAnswering } from './processes.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '10,100,1000' },
    creates: { type: 'string', default: '10' },
  },
});
const runs = Number(values.runs);
const sizes = values.sizes.split(',').map(Number);
const createShare = Number(values.creates) / 100;
if (!Number.isInteger(runs) || runs < 1 || !sizes.every((n) => Number.isInteger(n) && n > 0))
  throw new Error('--runs and --sizes must be positive whole numbers');
if (!(createShare >= 0 && createShare <= 1)) throw new Error('--creates must be a percentage from 0 to 100');

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor((numbers.length - 1) / 2)];
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const load = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

interface Run {
  push_s: number;
  queued_s: number;
  job_s: number;
  apply_step_s: number;
  peak_mb: number;
  push_to_applied_s: number;
}

function logged(output: string, pattern: RegExp): number {
  const match = pattern.exec(output ?? '');
  if (!match) throw new Error(`no ${pattern} in the job's log:\n${output}`);
  return Number(match[1]);
}

interface SizeResult {
  deltas: number;
  patches: number;
  creates: number;
  push_s: number;
  queued_s: number;
  job_s: number;
  apply_step_s: number;
  peak_mb: number;
  push_to_applied_s: number;
  deltas_per_s_step: number;
  deltas_per_s_job: number;
  deltas_per_s_end_to_end: number;
}

async function main() {
  const patchesNeeded = sizes.reduce((sum, size) => sum + size, 0) * runs;
  const made = await makeProject({ name: 'bench-deltas', layers: [`big:${patchesNeeded + 100}`] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-bench-deltas-'));
  // As root the embedded PostgreSQL runs as "postgres", which must traverse to its data directory.
  fs.chmodSync(dir, 0o711);
  let database: EmbeddedPostgresHandle | null = null;
  const servers: Server[] = [];
  const loadBefore = load();
  try {
    database = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 0, log: () => undefined });
    const env = productionEnv(database.url, path.join(dir, 'data'));
    const port = await freePort();
    const api = startServer('api', path.join(ROOT, 'dist/src/main.js'), { ...env, PORT: String(port), WORKER: 'false' }, port);
    servers.push(api);
    await waitUntilAnswering(api, '/api/v1/status/');
    servers.push(startServer('worker', path.join(ROOT, 'dist/src/worker-main.js'), env, port));
    const base = api.baseUrl;
    const call = apiCaller(api);
    const { token } = await call('POST', 'auth/token/', undefined, BENCH_ADMIN);
    const { id: projectId } = await call('POST', 'projects/', token, { name: 'bench-deltas' });
    // QFieldSync's order: the data first, the QGIS file last (its upload queues the processing).
    for (const name of [...made.files.filter((file) => file !== made.project_file), made.project_file]) {
      const form = new FormData();
      form.append('file', new Blob([fs.readFileSync(path.join(made.dir, name))]), name);
      await call('POST', `files/${projectId}/${name}/`, token, form);
    }
    for (;;) {
      const { status } = await call('GET', `projects/${projectId}/`, token);
      if (status === 'ok') break;
      if (status === 'failed') throw new Error('processing the project failed');
      await sleep(250);
    }
    await packageAsQField(base, token, projectId);
    const device = path.join(dir, 'device');
    const { projectFile } = await downloadPackage(base, token, projectId, device);
    const layerId = made.layer_ids.big;
    const layer = (await dumpFeatures(projectFile))[layerId];
    const edits = new LayerEdits(layerId, layer, newDevice());
    const untouched: DumpedFeature[] = [...layer.features];
    let nextLocalPk = Math.max(...layer.features.map((feature) => feature.id)) + 1;

    const pushOf = (size: number): Delta[] => {
      const creates = Math.round(size * createShare);
      const deltas: Delta[] = [];
      for (let i = 0; i < size - creates; i++) {
        const feature = untouched.shift()!;
        deltas.push(edits.patch(feature, { name: `${feature.attributes.name} (checked)`, count: Number(feature.attributes.count) + 1 }));
      }
      for (let i = 0; i < creates; i++) {
        const x = 8 + (nextLocalPk % 1000) * 0.0001;
        deltas.push(edits.create({ name: `new ${nextLocalPk}`, count: nextLocalPk, height: 1.5 }, `Point (${x} 47)`, nextLocalPk++));
      }
      return deltas;
    };

    const applyJobIds = async () =>
      new Set((await call('GET', `jobs/?project_id=${projectId}&type=delta_apply`, token)).map((job: { id: string }) => job.id) as string[]);

    const results: SizeResult[] = [];
    for (const size of sizes) {
      const measured: Run[] = [];
      let patches = 0;
      for (let run = 0; run < runs; run++) {
        const before = await applyJobIds();
        const file = deltaFile(projectId, pushOf(size));
        patches = file.deltas.filter((delta) => delta.method === 'patch').length;
        const pushedAt = Date.now();
        const res = await pushDeltas(base, token, projectId, file);
        const push_s = (Date.now() - pushedAt) / 1000;
        if (res.status !== 200) throw new Error(`the push answered ${res.status}: ${JSON.stringify(res.body)}`);
        const rows = await deltasSettled(base, token, projectId, file.id, 600_000, 250);
        const push_to_applied_s = (Date.now() - pushedAt) / 1000;
        const refused = rows.filter((row) => row.status !== 'STATUS_APPLIED');
        if (refused.length) throw new Error(`${refused.length} of ${size} deltas not applied, e.g. ${JSON.stringify(refused[0])}`);
        const jobs = await Promise.all([...(await applyJobIds())].filter((id) => !before.has(id)).map((id) => call('GET', `jobs/${id}/`, token)));
        if (jobs.length === 0 || jobs.some((job) => job.status !== 'finished'))
          throw new Error(`unexpected apply jobs: ${JSON.stringify(jobs.map((job) => job.status))}`);
        const started = Math.min(...jobs.map((job) => Date.parse(job.started_at)));
        const finished = Math.max(...jobs.map((job) => Date.parse(job.finished_at)));
        measured.push({
          push_s,
          queued_s: (started - pushedAt) / 1000,
          job_s: (finished - started) / 1000,
          apply_step_s: jobs.reduce((sum, job) => sum + logged(job.output, /step apply_deltas done in ([\d.]+) s/), 0),
          peak_mb: Math.max(...jobs.map((job) => logged(job.output, /peak memory (\d+) MB/))),
          push_to_applied_s,
        });
      }
      const job_s = median(measured.map((run) => run.job_s));
      const apply_step_s = median(measured.map((run) => run.apply_step_s));
      const push_to_applied_s = median(measured.map((run) => run.push_to_applied_s));
      results.push({
        deltas: size,
        patches,
        creates: size - patches,
        push_s: round(median(measured.map((run) => run.push_s)), 3),
        queued_s: round(median(measured.map((run) => run.queued_s))),
        job_s: round(job_s),
        apply_step_s: round(apply_step_s, 3),
        peak_mb: Math.max(...measured.map((run) => run.peak_mb)),
        push_to_applied_s: round(push_to_applied_s),
        deltas_per_s_step: round(size / apply_step_s, 1),
        deltas_per_s_job: round(size / job_s, 1),
        deltas_per_s_end_to_end: round(size / push_to_applied_s, 1),
      });
    }

    const summary = {
      measured_at: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
      load_before: loadBefore,
      load_after: load(),
      layer_features: layer.features.length,
      runs,
      results,
    };
    const resultsDir = path.join(ROOT, 'bench/results');
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.writeFileSync(path.join(resultsDir, 'deltas.json'), JSON.stringify(summary, null, 2) + '\n');
    console.log(
      [
        `delta_apply through the API and one worker process, a GeoPackage layer of ${summary.layer_features} points; ${summary.machine}; load average ${summary.load_before} before, ${summary.load_after} after; medians of ${runs}`,
        '',
        '| deltas in the push (patches + creates) | push answered | push → job started | job (started → finished) | apply_deltas step | push → all applied (poll 250 ms) | deltas/s: step / job / push → applied | QGIS peak memory |',
        '|---:|---:|---:|---:|---:|---:|---:|---:|',
        ...results.map(
          (r) =>
            `| ${r.deltas} (${r.patches} + ${r.creates}) | ${r.push_s} s | ${r.queued_s} s | ${r.job_s} s | ${r.apply_step_s} s | ${r.push_to_applied_s} s | ${r.deltas_per_s_step} / ${r.deltas_per_s_job} / ${r.deltas_per_s_end_to_end} | ${r.peak_mb} MB |`,
        ),
      ].join('\n'),
    );
  } finally {
    for (const server of servers.reverse()) await stopServer(server);
    await database?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(made.dir, { recursive: true, force: true });
  }
}

await main();
