import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive (as in HTTP Range). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

/**
 * Where stored bytes live (thumbnails, project files). The one port of the codebase: local disk now,
 * S3-compatible object storage next. Keys are relative paths with `/` separators.
 */
export abstract class FileStorage {
  /** Streams `content` to `key`, replacing what was there; a failed write leaves nothing at `key`. */
  abstract put(key: string, content: Readable): Promise<void>;
  /** The bytes at `key` (a part of them with `range`); rejects when there is nothing there. */
  abstract get(key: string, range?: ByteRange): Promise<Readable>;
  /** Removing a key that does not exist is not an error. */
  abstract delete(key: string): Promise<void>;
  /** Every object under `prefix`, for the sweeper that removes bytes no row points to. */
  abstract list(prefix: string): AsyncIterable<StoredObject>;
  /** For GET /status/: throws when the storage cannot be used. */
  abstract check(): Promise<void>;
}
