import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileStorage } from '../storage/file-storage.js';

/**
 * A job's temporary folder (QGIS-CONTRACT): `files/` holds the newest version of every project file
 * at its project path, streamed from the storage (local disk or S3), and `job.json` says what to do.
 */
export async function prepareJobFolder(
  storage: FileStorage,
  files: { name: string; storage_key: string }[],
  job: Record<string, unknown> & { id: string },
): Promise<string> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `fieldbase-job-${job.id.slice(0, 8)}-`));
  const root = path.join(workdir, 'files');
  fs.mkdirSync(root);
  for (const file of files) {
    const target = path.join(root, ...file.name.split('/'));
    // Paths were validated on upload (no "..", no empty segment); this is the belt to those braces.
    if (!target.startsWith(root + path.sep)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    await pipeline(await storage.get(file.storage_key), fs.createWriteStream(target));
  }
  fs.writeFileSync(path.join(workdir, 'job.json'), JSON.stringify(job));
  return workdir;
}

export function removeJobFolder(workdir: string): void {
  fs.rmSync(workdir, { recursive: true, force: true });
}
