import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';

export interface StoredFile {
  contentType: string;
  /** Quoted, as it goes into the ETag header. */
  etag: string;
  open(): Promise<Readable>;
}

/** Streams a stored file with its ETag, answering 304 when If-None-Match matches (quoted or bare). */
export async function sendStoredFile(req: Request, res: Response, file: StoredFile, cacheControl = 'private'): Promise<void> {
  res.setHeader('ETag', file.etag);
  res.setHeader('Cache-Control', cacheControl);
  const bare = file.etag.replace(/^"|"$/g, '');
  const wanted = (req.get('if-none-match') ?? '').split(',').map((tag) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
  if (wanted.includes(bare) || wanted.includes('*')) {
    res.status(304).end();
    return;
  }
  const stream = await file.open();
  res.status(200).setHeader('Content-Type', file.contentType);
  await pipeline(stream, res);
}
