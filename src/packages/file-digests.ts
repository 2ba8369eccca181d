import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { S3Etag } from '../files/s3-etag.js';

export interface FileDigests {
  size: number;
  /** The S3-style md5 QField and the SDK compare with (spec §8). */
  md5: string;
  sha256: string;
}

/** Size, S3-style md5 and sha256 of a local file (a package file the worker is about to store), in one streamed pass. */
export async function fileDigests(file: string): Promise<FileDigests> {
  const etag = new S3Etag();
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    etag.update(chunk);
    sha256.update(chunk);
    size += chunk.length;
  }
  return { size, md5: etag.digest(), sha256: sha256.digest('hex') };
}
