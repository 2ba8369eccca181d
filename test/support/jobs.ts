import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { sleep } from './kit.js';
import type { MadeProject } from './qgis.js';

/** What the jobs e2e tests share: uploading a project built by make_project.py, and waiting for jobs. */

const API = '/api/v1';
export const ENDED = ['finished', 'failed'];

/** supertest against an app in this process, or a server process's base URL (`http://host:port`). */
export type Target = App | string;

export async function createProject(http: Target, token: string, name: string): Promise<string> {
  const res = await request(http).post(`${API}/projects/`).set('Authorization', `Token ${token}`).send({ name });
  if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function uploadFile(http: Target, token: string, projectId: string, name: string, bytes: Buffer): Promise<void> {
  const res = await request(http).post(`${API}/files/${projectId}/${name}/`).set('Authorization', `Token ${token}`).attach('file', bytes, path.basename(name));
  if (res.status !== 201) throw new Error(`uploading ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** As QFieldSync does: every data file first, the QGIS file last. */
export async function uploadProject(http: Target, token: string, projectId: string, made: MadeProject): Promise<void> {
  const data = made.files.filter((file) => file !== made.project_file);
  for (const file of [...data, made.project_file]) await uploadFile(http, token, projectId, file, fs.readFileSync(path.join(made.dir, file)));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Job = Record<string, any>;

export async function jobsOf(http: Target, token: string, projectId: string): Promise<Job[]> {
  const res = await request(http).get(`${API}/jobs/?project_id=${projectId}`).set('Authorization', `Token ${token}`);
  if (res.status !== 200) throw new Error(`listing jobs: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function getJob(http: Target, token: string, jobId: string): Promise<Job> {
  const res = await request(http).get(`${API}/jobs/${jobId}/`).set('Authorization', `Token ${token}`);
  if (res.status !== 200) throw new Error(`reading job ${jobId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Polls until `check` answers something truthy (as QField polls, every so often), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The job once it ended (finished or failed). */
export function jobEnded(http: Target, token: string, jobId: string, timeoutMs = 30_000): Promise<Job> {
  return waitFor(
    `job ${jobId} to end`,
    async () => {
      const job = await getJob(http, token, jobId);
      return ENDED.includes(job.status) ? job : null;
    },
    timeoutMs,
  );
}

/**
 * A QGIS_PYTHON for tests: /usr/bin/python3, except that a job whose job.json mentions "slow" first
 * sleeps (as a QGIS stuck on a huge project would), so a test can act while the job runs. It runs in
 * the job's process group, so the worker's kill reaches the sleep too.
 */
export function slowPython(seconds = 60): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-slow-python-'));
  const file = path.join(dir, 'python3');
  fs.writeFileSync(
    file,
    `#!/bin/sh\ncase "$(cat "$2/job.json" 2>/dev/null)" in *slow*) echo "sleeping for the test"; sleep ${seconds};; esac\nexec /usr/bin/python3 "$@"\n`,
    { mode: 0o755 },
  );
  return file;
}

/** The job processes (QGIS scripts, with the slow wrapper's sleep) running for a job, by its folder's name. */
export function jobProcesses(jobId: string): number[] {
  const marker = `fieldbase-job-${jobId.slice(0, 8)}-`;
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cmdline.includes(marker) || cwd.includes(marker)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
