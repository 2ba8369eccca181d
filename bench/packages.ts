/**
 * npm run bench:packages -- [--runs 3] [--sizes 1000,10000,100000]
 *
 * What a package job costs with real QGIS (docs/packages.md, "Measured"): for a project of one
 * GeoPackage point layer of each size (qgis/tests/make_project.py `big:<n>`), qgis/package.py run as
 * the worker runs it, --runs times: the script's wall time, its package_project step (copying the
 * data into data.gpkg and writing the project, from the `step package_project done in …` line of its
 * log) and its peak memory (the `peak memory` line: the kernel's high-water mark of the QGIS process).
 * Medians of time, maximum of memory. Writes bench/results/packages.json and prints a Markdown table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeProject, runJobScript } from '../test/support/qgis.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, sizes: { type: 'string', default: '1000,10000,100000' } } });
const runs = Number(values.runs);
const sizes = values.sizes.split(',').map(Number);
if (!Number.isInteger(runs) || runs < 1 || !sizes.every((n) => Number.isInteger(n) && n > 0))
  throw new Error('--runs and --sizes must be positive whole numbers');

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor((numbers.length - 1) / 2)];
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const logged = (output: string, pattern: RegExp) => {
  const match = pattern.exec(output);
  if (!match) throw new Error(`not in the job's log: ${pattern}\n${output}`);
  return Number(match[1]);
};

interface SizeResult {
  features: number;
  gpkg_mb: number;
  wall_s: number;
  package_step_s: number;
  peak_mb: number;
}

const results: SizeResult[] = [];
for (const features of sizes) {
  const made = await makeProject({ layers: [`big:${features}`] });
  const walls: number[] = [];
  const steps: number[] = [];
  const peaks: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const job = await runJobScript({ type: 'package', project_file: made.project_file }, made.dir);
      walls.push((performance.now() - started) / 1000);
      try {
        if (job.result?.feedback.error) throw new Error(`the package job failed: ${job.result.feedback.error}`);
        steps.push(logged(job.output, /step package_project done in ([\d.]+) s/));
        peaks.push(logged(job.output, /peak memory (\d+) MB/));
      } finally {
        fs.rmSync(job.workdir, { recursive: true, force: true });
      }
    }
    const gpkg = fs.statSync(path.join(made.dir, 'big.gpkg')).size / 1024 / 1024;
    results.push({ features, gpkg_mb: round(gpkg, 1), wall_s: round(median(walls)), package_step_s: round(median(steps)), peak_mb: Math.max(...peaks) });
  } finally {
    fs.rmSync(made.dir, { recursive: true, force: true });
  }
}

fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/packages.json', JSON.stringify({ runs, results }, null, 2) + '\n');
console.log(`| features | source GeoPackage | job wall time (median of ${runs}) | package_project step | peak memory (max) |`);
console.log('|---:|---:|---:|---:|---:|');
for (const r of results) console.log(`| ${r.features} | ${r.gpkg_mb} MB | ${r.wall_s} s | ${r.package_step_s} s | ${r.peak_mb} MB |`);
