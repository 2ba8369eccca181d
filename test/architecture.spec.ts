import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The module graph of docs/architecture.md, enforced: dependency-cruiser with .dependency-cruiser.cjs
// finds no cycle and no upward import in src/ (and ormconfig.ts), and the same rules do catch each
// kind of violation in a made-up tree (test/fixtures/module-graph).
const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function violations(cwd: string, ...paths: string[]): string[] {
  const run = spawnSync(process.execPath, [CLI, ...paths, '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8' });
  if (!run.stdout) throw new Error(`dependency-cruiser did not answer: ${run.stderr}`);
  const { summary } = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
  return summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe('module graph', () => {
  it('src/ has no cycle and no upward import', () => {
    expect(violations(ROOT, 'src', 'ormconfig.ts')).toEqual([]);
  }, 120_000);

  it('the rules catch a cycle, an upward import, an imported root and a folder outside the graph', () => {
    expect(violations(path.join(ROOT, 'test/fixtures/module-graph'), 'src')).toEqual([
      'module-not-in-graph: src/reports/summary.ts → src/auth/token.ts',
      'no-circular: src/auth/ping.ts → src/auth/pong.ts',
      'no-importing-roots: src/accounts/boot.ts → src/app.module.ts',
      'no-upward-from-common: src/common/needs-auth.ts → src/auth/token.ts',
    ]);
  }, 120_000);
});
