import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileDigests } from '../src/packages/file-digests.js';

// Package files' md5sum is the S3-style ETag QField and the SDK compute locally (spec §8, §12): a
// plain md5 means re-downloading every large file every time.
const MIB = 1024 * 1024;
const md5 = (bytes: Buffer) => crypto.createHash('md5').update(bytes);

describe('fileDigests: size, S3-style md5 with 8 MiB parts, sha256', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-etag-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, size: number) => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 251;
    fs.writeFileSync(path.join(dir, name), bytes);
    return { file: path.join(dir, name), bytes };
  };

  it.each([
    ['empty', 0],
    ['small', 1000],
    ['exactly one part', 8 * MIB],
  ])('is the plain md5 for a file of up to 8 MiB (%s)', async (name, size) => {
    const { file, bytes } = write(`${name}.bin`, size);
    expect(await fileDigests(file)).toEqual({ size, md5: md5(bytes).digest('hex'), sha256: crypto.createHash('sha256').update(bytes).digest('hex') });
  });

  it('is the md5 of the parts\' binary md5s, "-" and the part count above 8 MiB', async () => {
    const { file, bytes } = write('large.bin', 17 * MIB + 5);
    const parts = [bytes.subarray(0, 8 * MIB), bytes.subarray(8 * MIB, 16 * MIB), bytes.subarray(16 * MIB)].map((part) => md5(part).digest());
    const digests = await fileDigests(file);
    expect(digests.md5).toBe(`${md5(Buffer.concat(parts)).digest('hex')}-3`);
    expect(digests.size).toBe(17 * MIB + 5);
  });
});
