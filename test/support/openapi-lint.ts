import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { source: { ref: string }; pointer: string }[];
}

const CLI = path.resolve('node_modules/@redocly/cli/bin/cli.js');
const CONFIG = path.resolve('redocly.yaml');

/**
 * `redocly lint` (the CLI users run, with the repository's redocly.yaml) on documents given as objects;
 * answers each document's problems, by the name it was given. No network: telemetry and the update check are off.
 */
export async function redoclyLint(documents: Record<string, object>): Promise<Record<string, LintProblem[]>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-redocly-'));
  try {
    const files = Object.entries(documents).map(([name, document]) => {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(document, null, 2));
      return file;
    });
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [CLI, 'lint', ...files, '--config', CONFIG, '--format', 'json'],
        { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 },
        // Exit code 1 means "problems found": the JSON report is on stdout either way.
        (error, out, err) => (out.trim().startsWith('{') ? resolve(out) : reject(new Error(`redocly lint failed: ${error?.message}\n${err}`))),
      ),
    );
    // One JSON report per file, in order, written back to back.
    const reports = JSON.parse(`[${stdout.trim().replace(/^\}\{$/gm, '},{')}]`) as { problems: LintProblem[] }[];
    if (reports.length !== files.length) throw new Error(`redocly lint gave ${reports.length} reports for ${files.length} files:\n${stdout}`);
    return Object.fromEntries(Object.keys(documents).map((name, i) => [name, reports[i].problems]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per problem, for failure messages. */
export const describeProblems = (problems: LintProblem[]) => problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
