// A throwaway S3-compatible server (s3rver) on a free loopback port, storing under a new temporary
// directory, in a child process (see s3rver-process.mjs for why). Used by global-setup.mjs for
// TEST_STORAGE_DRIVER=s3 and by test/s3-storage.e2e.spec.ts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** s3rver checks signatures against these (its defaults). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const ENTRY = fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url));
const LEGACY_OPENSSL = '--openssl-legacy-provider';

export async function startS3Server() {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-test-s3-'));
  const flags = process.allowedNodeEnvironmentFlags.has(LEGACY_OPENSSL) ? [LEGACY_OPENSSL] : [];
  const child = spawn(process.execPath, [...flags, ENTRY, directory], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let port;
  try {
    port = await new Promise((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error('no answer within 20 s')), 20_000);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line).port);
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code ?? signal}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    fs.rmSync(directory, { recursive: true, force: true });
    throw new Error(`could not start the test S3 server (s3rver): ${error?.message ?? error}\n${stderr.slice(-2000)}`);
  }
  // The IPC channel is only for the child to notice the parent going; it must not keep jest alive.
  child.unref();
  child.channel?.unref();
  child.stdout.destroy();
  child.stderr.unref?.();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    ...S3RVER_CREDENTIALS,
    directory,
    pid: child.pid,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
