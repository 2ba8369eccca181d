import { PassThrough, type Readable } from 'node:stream';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl from 'yauzl';
import { InvalidQgisProjectFile } from '../common/errors.js';
import type { FileStorage } from '../storage/file-storage.js';

/** The root start tag must end within this many bytes (after the XML declaration, DOCTYPE and comments). */
const HEAD_BYTES = 64 * 1024;
/** A document longer than the head must end with `</qgis>` within this many bytes: else it was cut off. */
const TAIL_BYTES = 1024;
/** A .qgz holds its .qgs and a few companions (.qgd, attachments); past this it is no QGIS project, and every entry costs reads. */
const MAX_QGZ_ENTRIES = 100;

/** A failure of the storage itself, which is ours (500), not a sign of a bad upload. */
class StorageReadFailed extends Error {
  constructor(readonly cause: unknown) {
    super(`could not read the stored file: ${cause}`);
  }
}

/**
 * The `X.Y.Z` of the root `<qgis version="…">` of a stored `.qgs`/`.qgz` (spec §8), or 400
 * `invalid_qgis_project_file`. Reads are bounded: the head and tail of a .qgs; a .qgz's central
 * directory, then its .qgs streamed through (decompressed, never held whole).
 */
export async function readQgisVersion(storage: FileStorage, stored: { key: string; size: number }, path: string): Promise<string> {
  try {
    return /\.qgz$/i.test(path) ? await fromQgz(storage, stored, path) : await fromQgs(storage, stored);
  } catch (error) {
    if (error instanceof StorageReadFailed) throw error.cause;
    throw error;
  }
}

async function fromQgs(storage: FileStorage, { key, size }: { key: string; size: number }): Promise<string> {
  if (size === 0) throw new InvalidQgisProjectFile('the file is empty');
  const head = await readAll(await storage.get(key, { start: 0, end: Math.min(size, HEAD_BYTES) - 1 }));
  if (size <= HEAD_BYTES) return versionOf(head, null);
  const tail = await readAll(await storage.get(key, { start: size - TAIL_BYTES, end: size - 1 }));
  return versionOf(head, tail);
}

async function fromQgz(storage: FileStorage, stored: { key: string; size: number }, path: string): Promise<string> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new StoredZip(storage, stored.key), stored.size, { lazyEntries: true, autoClose: false });
  } catch (error) {
    if (error instanceof StorageReadFailed) throw error;
    throw new InvalidQgisProjectFile('a .qgz must be a zip archive');
  }
  try {
    const projects: yauzl.Entry[] = [];
    let entries = 0;
    for await (const entry of zip.eachEntry()) {
      if (++entries > MAX_QGZ_ENTRIES) throw new InvalidQgisProjectFile(`the .qgz archive holds more than ${MAX_QGZ_ENTRIES} entries`);
      if (/\.qgs$/i.test(entry.fileName)) projects.push(entry);
    }
    // As QGIS writes it: <stem>.qgs inside <stem>.qgz; else the first .qgs by name.
    const stem = path
      .split('/')
      .pop()!
      .replace(/\.qgz$/i, '');
    const project = projects.find((entry) => entry.fileName === `${stem}.qgs`) ?? projects.sort((a, b) => a.fileName.localeCompare(b.fileName))[0];
    if (!project) throw new InvalidQgisProjectFile('the .qgz archive holds no .qgs file');
    const { head, tail } = await headAndTail(await zip.openReadStreamPromise(project));
    return versionOf(head, tail);
  } catch (error) {
    if (error instanceof InvalidQgisProjectFile || error instanceof StorageReadFailed) throw error;
    throw new InvalidQgisProjectFile(`the .qgz archive cannot be read (${(error as Error).message})`);
  } finally {
    zip.close();
  }
}

/**
 * The root start tag, parsed from `head` (the whole document when `tail` is null, then checked for
 * well-formedness to its end); a longer document's `tail` must close the root.
 */
function versionOf(head: Buffer, tail: Buffer | null): string {
  let text: string;
  try {
    // `stream` keeps a character cut at the end of the head for later instead of failing on it.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: tail !== null });
  } catch {
    throw new InvalidQgisProjectFile('it is not UTF-8 text');
  }
  const parser = new SaxesParser();
  let root: SaxesTagPlain | undefined;
  parser.on('opentag', (tag) => (root ??= tag));
  try {
    parser.write(text);
    if (tail === null) parser.close();
  } catch (error) {
    throw new InvalidQgisProjectFile(`it is not well-formed XML (${(error as Error).message})`);
  }
  if (!root) throw new InvalidQgisProjectFile(tail === null ? 'it has no root element' : `no root element starts in its first ${HEAD_BYTES / 1024} KiB`);
  if (root.name !== 'qgis') throw new InvalidQgisProjectFile(`its root element is <${root.name}>, not <qgis>`);
  const version = /^(\d+\.\d+\.\d+)/.exec(root.attributes.version ?? '');
  if (!version) throw new InvalidQgisProjectFile('its root element has no version="X.Y.Z…" attribute');
  // `</qgis>` is ASCII: latin1 cannot fail on a character cut at the tail's start.
  if (tail !== null && !/<\/qgis\s*>\s*$/.test(tail.toString('latin1'))) throw new InvalidQgisProjectFile('it ends before its root element does (truncated?)');
  return version[1];
}

/** The first HEAD_BYTES and last TAIL_BYTES of a stream, read to its end; the tail is null when the head holds it all. */
async function headAndTail(stream: Readable): Promise<{ head: Buffer; tail: Buffer | null }> {
  const head: Buffer[] = [];
  let total = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (total < HEAD_BYTES) head.push(chunk.subarray(0, HEAD_BYTES - total));
    total += chunk.length;
    tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - TAIL_BYTES))]);
    tail = tail.subarray(Math.max(0, tail.length - TAIL_BYTES));
  }
  return { head: Buffer.concat(head), tail: total > HEAD_BYTES ? tail : null };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (error) {
    throw new StorageReadFailed(error);
  }
  return Buffer.concat(chunks);
}

/** yauzl's random access onto a stored object, through ranged reads (local disk and S3 alike). */
class StoredZip extends yauzl.RandomAccessReader {
  constructor(
    private readonly storage: FileStorage,
    private readonly key: string,
  ) {
    super();
  }

  _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    if (end <= start) return out.end() as PassThrough;
    this.storage.get(this.key, { start, end: end - 1 }).then(
      (stream) => {
        stream.on('error', (error) => out.destroy(new StorageReadFailed(error)));
        stream.pipe(out);
      },
      (error) => out.destroy(new StorageReadFailed(error)),
    );
    return out;
  }
}
