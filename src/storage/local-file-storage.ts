import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStorage, type ByteRange, type StoredObject } from './file-storage.js';

const PARTIAL = '.partial';

/** Files under DATA_DIR/files; writes go to a temporary name first, so a failed upload leaves nothing at its key. */
export class LocalFileStorage extends FileStorage {
  constructor(private readonly root: string) {
    super();
  }

  private resolve(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(this.root + path.sep)) throw new Error(`storage key escapes the root: ${key}`);
    return full;
  }

  async put(key: string, content: Readable): Promise<void> {
    const target = this.resolve(key);
    // Until pipeline() listens, a source that fails (an upload cut off while the directory is being
    // made) would emit 'error' with no listener and bring the process down.
    let early: unknown = null;
    const onEarlyError = (error: unknown) => (early ??= error);
    content.on('error', onEarlyError);
    const temporary = `${target}.${randomUUID()}${PARTIAL}`;
    try {
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      if (early) throw early;
      await pipeline(content, fs.createWriteStream(temporary));
      await fs.promises.rename(temporary, target);
    } catch (error) {
      if (!content.destroyed) content.destroy();
      await fs.promises.rm(temporary, { force: true });
      throw early ?? error;
    } finally {
      content.off('error', onEarlyError);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.resolve(key);
    const handle = await fs.promises.open(file, 'r');
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.resolve(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const start = path.join(this.root, prefix);
    const walk = async function* (dir: string, root: string): AsyncIterable<StoredObject> {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) yield* walk(full, root);
        else if (entry.isFile()) {
          const stat = await fs.promises.stat(full).catch(() => null);
          // A temporary file is listed under its own name: the sweeper removes abandoned ones by age.
          if (stat) yield { key: path.relative(root, full).split(path.sep).join('/'), size: stat.size, modifiedAt: stat.mtime };
        }
      }
    };
    yield* walk(start, this.root);
  }

  async check(): Promise<void> {
    await fs.promises.mkdir(this.root, { recursive: true });
    await fs.promises.access(this.root, fs.constants.W_OK);
  }
}
