import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import type { FileStorage } from '../storage/file-storage.js';
import { S3Etag } from './s3-etag.js';
import type { StreamedUpload } from './upload-stream.js';

/** The storage key of a new version of a project file: where uploads put theirs, so the sweeper knows them. */
export const projectFileKey = (projectId: string) => `projects/${projectId.toLowerCase()}/${randomUUID()}`;

/**
 * Streams a local file (one a job changed) into storage as a new project file version's bytes,
 * hashing it on the way, as an upload does. The caller owns the key once this resolves: it records the
 * version, or deletes the key.
 */
export async function putLocalFile(storage: FileStorage, projectId: string, file: string): Promise<StreamedUpload> {
  const key = projectFileKey(projectId);
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const etag = new S3Etag();
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _, done) {
      size += chunk.length;
      md5.update(chunk);
      sha256.update(chunk);
      etag.update(chunk);
      done(null, chunk);
    },
  });
  const source = fs.createReadStream(file);
  source.on('error', (error) => measure.destroy(error)); // put() then fails, leaving nothing at the key
  await storage.put(key, source.pipe(measure));
  return { key, size, md5: md5.digest('hex'), sha256: sha256.digest('hex'), etag: etag.digest() };
}
