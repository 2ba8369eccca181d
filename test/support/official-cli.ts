import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The official QFieldCloud CLI (`qfieldcloud-sdk`, run as `python3 -m qfieldcloud_sdk`) from a source
 * tree, for tests that prove the real client works against us. The SDK cannot be committed, so it
 * comes from the environment:
 *
 *   QFC_SDK_DIR   the SDK's source tree (holds qfieldcloud_sdk/)
 *   QFC_SDK_DEPS  a folder with the Python modules it needs that python3 lacks (requests_toolbelt,
 *                 pathvalidate, tqdm and the urllib3 1.x they need; see shared notes/clients.md)
 *
 * Without QFC_SDK_DIR the CLI is unavailable and the tests that need it are skipped with `reason`.
 * A QFC_SDK_DIR that is set but unusable is an error, not a skip.
 */
export interface OfficialCli {
  available: boolean;
  /** Why it is unavailable (empty when available). */
  reason: string;
  /**
   * Runs `qfieldcloud-cli --json <args>` against `url` (ending in /api/v1/) with `token`; never throws on a failed command.
   * `plain` leaves `--json` out, for commands whose JSON output the SDK cannot print (delta-push).
   */
  run(args: string[], session: { url: string; token?: string; cwd?: string; plain?: boolean }): Promise<CliResult>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

function locate(): { dir: string; deps: string } | { reason: string } {
  const dir = process.env.QFC_SDK_DIR;
  if (!dir) return { reason: 'QFC_SDK_DIR is not set (point it at a qfieldcloud-sdk-python source tree, and QFC_SDK_DEPS at its missing Python modules)' };
  if (!fs.existsSync(path.join(dir, 'qfieldcloud_sdk', '__main__.py'))) throw new Error(`QFC_SDK_DIR=${dir} holds no qfieldcloud_sdk/__main__.py`);
  const deps = process.env.QFC_SDK_DEPS ?? '';
  if (deps && !fs.existsSync(deps)) throw new Error(`QFC_SDK_DEPS=${deps} does not exist`);
  return { dir: path.resolve(dir), deps: deps && path.resolve(deps) };
}

export function officialCli(): OfficialCli {
  const found = locate();
  if ('reason' in found) {
    return {
      available: false,
      reason: found.reason,
      run: () => Promise.reject(new Error(`the official CLI is unavailable: ${found.reason}`)),
    };
  }
  return {
    available: true,
    reason: '',
    run: (args, session) =>
      new Promise((resolve, reject) => {
        const env: NodeJS.ProcessEnv = { ...process.env };
        // ENVIRONMENT=test makes the SDK answer canned data without sending anything.
        delete env.ENVIRONMENT;
        delete env.QFIELDCLOUD_USERNAME;
        delete env.QFIELDCLOUD_PASSWORD;
        env.PYTHONPATH = [found.dir, found.deps].filter(Boolean).join(path.delimiter);
        env.QFIELDCLOUD_URL = session.url;
        if (session.token) env.QFIELDCLOUD_TOKEN = session.token;
        else delete env.QFIELDCLOUD_TOKEN;
        // Asynchronous on purpose: the server under test may run in this very process.
        const child = spawn('python3', ['-m', 'qfieldcloud_sdk', ...(session.plain ? [] : ['--json']), ...args], {
          env,
          cwd: session.cwd,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code) => {
          let json: unknown;
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
          resolve({ code, stdout, stderr, json });
        });
      }),
  };
}
