import type { Readable } from 'node:stream';

/**
 * Where stored bytes live (thumbnails, project files). The one port of the codebase: local disk now,
 * S3-compatible object storage later. Keys are relative paths with `/` separators.
 */
export abstract class FileStorage {
  /** Streams `content` to `key`, replacing what was there; resolves with the number of bytes written. */
  abstract put(key: string, content: Readable): Promise<number>;
  abstract get(key: string): Promise<Readable>;
  /** Removing a key that does not exist is not an error. */
  abstract delete(key: string): Promise<void>;
  /** For GET /status/: throws when the storage cannot be written. */
  abstract check(): Promise<void>;
}
