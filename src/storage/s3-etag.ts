import { createHash } from 'node:crypto';
import fs from 'node:fs';

/** QField and the SDK compare files by S3's multipart ETag with 8 MiB parts (spec §8). */
const PART_BYTES = 8 * 1024 * 1024;

export interface FileDigests {
  size: number;
  /** The S3-style md5: the plain md5 up to 8 MiB, else md5 of the parts' md5s, `-`, the part count. */
  md5: string;
  sha256: string;
}

/** Hashes a local file in one streamed pass. */
export async function fileDigests(file: string): Promise<FileDigests> {
  const sha256 = createHash('sha256');
  const parts: Buffer[] = [];
  let part = createHash('md5');
  let partBytes = 0;
  let size = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(PART_BYTES - partBytes, chunk.length - offset);
      part.update(chunk.subarray(offset, offset + take));
      partBytes += take;
      offset += take;
      if (partBytes === PART_BYTES) {
        parts.push(part.digest());
        part = createHash('md5');
        partBytes = 0;
      }
    }
  }
  if (partBytes > 0 || parts.length === 0) parts.push(part.digest());
  const md5 = parts.length === 1 ? parts[0].toString('hex') : `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
  return { size, md5, sha256: sha256.digest('hex') };
}
