// `npm test`: the whole suite on local storage, then the storage-dependent files again on S3 (an s3rver
// started for that run), so both drivers pass the same tests. Writes .test-results.json with the
// counts of both runs (what .ci/run reports) and exits non-zero when either run fails.
// Arguments after `npm test --` go to jest and limit the first run; the S3 run is then skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const jest = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', '--config', 'test/jest.config.json'];
const STORAGE_FILES = ['test/files.e2e.spec.ts', 'test/files-etag.e2e.spec.ts', 'test/files-qgis.e2e.spec.ts', 'test/projects-write.e2e.spec.ts', 'test/storage-cleaner.e2e.spec.ts'];
const args = process.argv.slice(2);

function run(label, extraArgs, env, output) {
  console.log(`\n=== ${label} ===\n`);
  fs.rmSync(output, { force: true });
  const result = spawnSync(process.execPath, [...jest, '--json', `--outputFile=${output}`, ...extraArgs], { stdio: 'inherit', env: { ...process.env, ...env } });
  let counts = { numPassedTests: 0, numFailedTests: 0, numTotalTests: 0, numRuntimeErrorTestSuites: 0 };
  try {
    counts = JSON.parse(fs.readFileSync(output, 'utf8'));
  } catch {
    counts.numFailedTests = 1; // jest did not report: count the run as failed
  }
  return { ok: result.status === 0, counts };
}

const runs = [run('tests, local storage', args, {}, '.test-results-local.json')];
if (args.length === 0) runs.push(run('storage tests, S3 storage', STORAGE_FILES, { TEST_STORAGE_DRIVER: 's3' }, '.test-results-s3.json'));

const sum = (key) => runs.reduce((total, { counts }) => total + (counts[key] ?? 0), 0);
const merged = {
  numPassedTests: sum('numPassedTests'),
  numFailedTests: sum('numFailedTests'),
  numTotalTests: sum('numTotalTests'),
  numRuntimeErrorTestSuites: sum('numRuntimeErrorTestSuites'),
  success: runs.every((r) => r.ok),
};
fs.writeFileSync('.test-results.json', JSON.stringify(merged, null, 2));
console.log(`\n${merged.numPassedTests} passed, ${merged.numFailedTests + merged.numRuntimeErrorTestSuites} failed (${runs.map((r) => r.counts.numTotalTests).join(" + ")} tests in ${runs.length} run(s))`);
process.exit(merged.success ? 0 : 1);
