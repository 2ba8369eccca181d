import { createHash, type Hash } from 'node:crypto';

/** The part size of the multipart uploads whose ETag the SDK and QField compute locally (spec §8). */
export const ETAG_PART_BYTES = 8 * 1024 * 1024;

/**
 * The S3-style ETag of a byte stream, fed in chunks: the md5 hex of the content up to 8 MiB
 * (inclusive); above that, the md5 hex of the concatenated binary md5s of each 8 MiB part, `-` and the
 * number of parts. Clients compare it with what they compute locally to skip unchanged files, so a
 * plain md5 of a large file would make them transfer it every time.
 */
export class S3Etag {
  private readonly parts: Buffer[] = [];
  private part: Hash = createHash('md5');
  private partBytes = 0;

  update(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      // A full part is closed only when more bytes come: exactly 8 MiB is one part, a plain md5.
      if (this.partBytes === ETAG_PART_BYTES) {
        this.parts.push(this.part.digest());
        this.part = createHash('md5');
        this.partBytes = 0;
      }
      const take = Math.min(chunk.length - offset, ETAG_PART_BYTES - this.partBytes);
      this.part.update(take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
      this.partBytes += take;
      offset += take;
    }
  }

  digest(): string {
    return etagOfParts([...this.parts, this.part.digest()]);
  }
}

/** The ETag from the binary md5 of each part, in order (at least one). */
export function etagOfParts(parts: Buffer[]): string {
  if (parts.length === 1) return parts[0].toString('hex');
  return `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
}
