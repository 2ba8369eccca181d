// `npm test`: the unit tests (pure rules, no database), the whole suite on local storage, then the
// storage-dependent files again on S3 (an s3rver started for that run), so both drivers pass the same
// tests. Writes .test-results.json with the counts of all runs (what .ci/run reports) and exits non-zero
// when any run fails.
// Arguments after `npm test --` go to jest and limit the local-storage run; the unit and S3 runs are then skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const jest = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js'];
const STORAGE_FILES = [
  'test/files-upload.e2e.spec.ts',
  'test/files-accounting.e2e.spec.ts',
  'test/files-download.e2e.spec.ts',
  'test/files-delete.e2e.spec.ts',
  'test/files-etag.e2e.spec.ts',
  'test/files-qgis.e2e.spec.ts',
  'test/projects-create.e2e.spec.ts',
  'test/projects-update.e2e.spec.ts',
  'test/projects-transfer-delete.e2e.spec.ts',
  'test/projects-thumbnails.e2e.spec.ts',
  'test/storage-cleaner.e2e.spec.ts',
  // The field round trip: packages stored, downloaded, and the worker's new versions of the data.
  'test/deltas-roundtrip.e2e.spec.ts',
];
const args = process.argv.slice(2);

function run(label, config, extraArgs, env, output) {
  console.log(`\n=== ${label} ===\n`);
  fs.rmSync(output, { force: true });
  const result = spawnSync(process.execPath, [...jest, '--config', config, '--json', `--outputFile=${output}`, ...extraArgs], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  let counts = { numPassedTests: 0, numFailedTests: 0, numTotalTests: 0, numRuntimeErrorTestSuites: 0 };
  try {
    counts = JSON.parse(fs.readFileSync(output, 'utf8'));
  } catch {
    counts.numFailedTests = 1; // jest did not report: count the run as failed
  }
  return { ok: result.status === 0, counts };
}

const runs = [];
if (args.length === 0) runs.push(run('unit tests', 'test/jest.unit.config.json', [], {}, '.test-results-unit.json'));
runs.push(run('tests, local storage', 'test/jest.config.json', args, {}, '.test-results-local.json'));
if (args.length === 0)
  runs.push(run('storage tests, S3 storage', 'test/jest.config.json', STORAGE_FILES, { TEST_STORAGE_DRIVER: 's3' }, '.test-results-s3.json'));

const sum = (key) => runs.reduce((total, { counts }) => total + (counts[key] ?? 0), 0);
const merged = {
  numPassedTests: sum('numPassedTests'),
  numFailedTests: sum('numFailedTests'),
  numTotalTests: sum('numTotalTests'),
  numRuntimeErrorTestSuites: sum('numRuntimeErrorTestSuites'),
  success: runs.every((r) => r.ok),
};
fs.writeFileSync('.test-results.json', JSON.stringify(merged, null, 2));
console.log(
  `\n${merged.numPassedTests} passed, ${merged.numFailedTests + merged.numRuntimeErrorTestSuites} failed (${runs.map((r) => r.counts.numTotalTests).join(' + ')} tests in ${runs.length} run(s))`,
);
process.exit(merged.success ? 0 : 1);
