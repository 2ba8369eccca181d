import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { ApiError } from '../common/errors.js';
import type { ByteRange } from './file-storage.js';

export interface StoredFile {
  /** The name the content type is derived from (by extension), unless `contentType` is given. */
  name?: string;
  contentType?: string;
  size?: number;
  /** Quoted, as it goes into the ETag header. */
  etag: string;
  open(range?: ByteRange): Promise<Readable>;
}

class RangeNotSatisfiable extends ApiError {
  constructor(size: number) {
    super(416, 'range_not_satisfiable', 'The requested range is outside the file', { size }, { 'Content-Range': `bytes */${size}` });
  }
}

/**
 * Streams a stored file with its ETag and Cache-Control, answering 304 when If-None-Match matches
 * (quoted or bare, as the SDK sends it), and a single byte Range with 206 (416 outside the file).
 */
export async function sendStoredFile(req: Request, res: Response, file: StoredFile, cacheControl = 'private'): Promise<void> {
  res.setHeader('ETag', file.etag);
  res.setHeader('Cache-Control', cacheControl);
  const bare = file.etag.replace(/^"|"$/g, '');
  const wanted = (req.get('if-none-match') ?? '').split(',').map((tag) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
  if (wanted.includes(bare) || wanted.includes('*')) {
    res.status(304).end();
    return;
  }
  // Before the content type: a 416 is an error envelope (the error filter drops the file's other headers).
  const range = file.size === undefined ? undefined : parseRange(req.get('range'), file.size);
  if (file.contentType) res.type(file.contentType);
  else res.type(extensionOf(file.name ?? '') ?? 'application/octet-stream');
  if (file.size !== undefined) {
    res.setHeader('Accept-Ranges', 'bytes');
    if (range) {
      res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200).setHeader('Content-Length', String(file.size));
    }
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = await file.open(range);
  await pipeline(stream, res);
}

function extensionOf(name: string): string | null {
  const match = /\.([A-Za-z0-9]+)$/.exec(name);
  return match ? match[1] : null;
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else (several ranges, other units) serves the whole file. */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw new RangeNotSatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) throw new RangeNotSatisfiable(size);
  return { start, end };
}
