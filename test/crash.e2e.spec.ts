import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ADMIN, createTestDatabase } from './support/test-app.js';
import { ServerProcess } from './support/server-process.js';
import { md5, sleep } from './support/kit.js';

/**
 * Crashes (issue 7.4): the built server as a child process on a PostgreSQL of the test run (a killed
 * server would leave an embedded one behind), killed with SIGKILL in the middle of large streamed
 * uploads, small uploads, transfers, file deletes and project deletes, then started again. After each
 * restart the database and the storage agree (every version row has its bytes, no bytes without a
 * row once the start-up sweep ran, accounting equals the rows) and every write answered 2xx before
 * the kill is there.
 */

const ROUNDS = 5;
const SEED = 7_2026;
/** The sweep at start takes leftovers older than this for orphans; the test waits it out before each restart. */
const GRACE_SECONDS = 1;

/** mulberry32: the kill points and the mix of requests are the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const BOUNDARY = 'fieldbase-crash-boundary-5d1c9e';
const HEAD = (filename: string) =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
const TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

interface Answer {
  status: number;
  body: any;
}

/**
 * A multipart upload streamed in 64 KiB chunks, as a client sends a large file: the server stores it
 * while it arrives. Resolves with the answer, or null when the connection died (the kill).
 */
function streamUpload(base: string, token: string, projectId: string, file: string, content: Buffer): Promise<Answer | null> {
  return new Promise((resolve) => {
    const url = new URL(`${base}/files/${projectId}/${file}/`);
    const head = HEAD(path.posix.basename(file));
    const req = http.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: {
          Authorization: `Token ${token}`,
          'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
          'Content-Length': head.length + content.length + TAIL.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', () => resolve(null));
      },
    );
    req.on('error', () => resolve(null));
    const CHUNK = 64 * 1024;
    let offset = 0;
    const write = () => {
      while (offset < content.length) {
        const chunk = content.subarray(offset, offset + CHUNK);
        offset += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end(TAIL);
    };
    req.write(head);
    write();
  });
}

/** A JSON request; null when the connection died. */
async function call(base: string, token: string, method: string, route: string, body?: object): Promise<Answer | null> {
  try {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { Authorization: `Token ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return null;
  }
}

/** What a 2xx answer promised, checked after every restart. */
interface Promises {
  versions: Map<string, { projectId: string; file: string; md5: string; size: number }>;
  owners: Map<string, string>;
  deletedProjects: Set<string>;
  deletedFiles: { projectId: string; file: string }[];
}

describe('kill -9 in the middle of writes, then a restart', () => {
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let db: pg.Pool;
  let server: ServerProcess | null = null;
  const outcomes = { acknowledged: 0, cutOff: 0 };
  /** Bytes without a row that kills left behind, for the start-up sweep to remove. */
  let leftovers = 0;

  const env = () => ({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_EMAIL: 'admin@example.com',
    STORAGE_ORPHAN_GRACE_SECONDS: String(GRACE_SECONDS),
    DEFAULT_STORAGE_QUOTA_BYTES: String(100 * 1024 ** 3),
  });
  const start = async () => (server = await (await ServerProcess.start(env())).ready(60_000));

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-crash-'));
    db = new pg.Pool({ connectionString: database.url, max: 2 });
  });
  afterAll(async () => {
    if (server && server.exitCode === null) await server.stop('SIGKILL').catch(() => undefined);
    await db?.end();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const storedFiles = (): string[] => {
    const root = path.join(dataDir, 'files');
    if (!fs.existsSync(root)) return [];
    return (fs.readdirSync(root, { recursive: true }) as string[])
      .filter((entry) => fs.statSync(path.join(root, entry), { throwIfNoEntry: false })?.isFile()) // the sweep may remove it meanwhile
      .map((entry) => entry.split(path.sep).join('/'))
      .sort();
  };

  /** The start-up sweep runs beside the first requests: wait until the bytes it must remove are gone. */
  async function storageSettled(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = (
        await db.query(`SELECT storage_key FROM file_versions UNION ALL SELECT thumbnail_key FROM projects WHERE thumbnail_key IS NOT NULL`)
      ).rows.map((r) => r.storage_key);
      const queued = (await db.query(`SELECT 1 FROM storage_deletions`)).rowCount;
      const extra = storedFiles().filter((key) => !rows.includes(key));
      if ((extra.length === 0 && queued === 0) || Date.now() > deadline) return;
      await sleep(100);
    }
  }

  /** Rows and bytes agree, and every 2xx answered before any kill still holds. */
  async function expectConsistent(promised: Promises): Promise<void> {
    const versions = (await db.query(`SELECT storage_key, size::int AS size, md5 FROM file_versions ORDER BY storage_key`)).rows as {
      storage_key: string;
      size: number;
      md5: string;
    }[];
    const thumbnails = (await db.query(`SELECT thumbnail_key FROM projects WHERE thumbnail_key IS NOT NULL`)).rows.map((r) => r.thumbnail_key as string);
    // No version row without its bytes, whole.
    const missing = versions.filter((v) => {
      const file = path.join(dataDir, 'files', v.storage_key);
      return !fs.existsSync(file) || fs.statSync(file).size !== v.size;
    });
    expect(missing).toEqual([]);
    // No bytes without a row (partial uploads included), and no removal left queued.
    expect(storedFiles()).toEqual([...versions.map((v) => v.storage_key), ...thumbnails].sort());
    expect((await db.query(`SELECT storage_key FROM storage_deletions`)).rows).toEqual([]);
    // Accounting equals the rows.
    const drift = await db.query(
      `SELECT p.id FROM projects p LEFT JOIN project_files f ON f.project_id = p.id LEFT JOIN file_versions v ON v.file_id = f.id
        GROUP BY p.id HAVING p.file_storage_bytes <> coalesce(sum(v.size), 0)`,
    );
    expect(drift.rows).toEqual([]);

    // Every acknowledged write is there.
    for (const [versionId, version] of promised.versions) {
      const { rows } = await db.query(
        `SELECT v.md5, v.size::int AS size, v.storage_key FROM file_versions v JOIN project_files f ON f.id = v.file_id WHERE v.id = $1 AND f.project_id = $2 AND f.name = $3`,
        [versionId, version.projectId, version.file],
      );
      expect({ versionId, found: rows.map((r) => ({ md5: r.md5, size: r.size })) }).toEqual({ versionId, found: [{ md5: version.md5, size: version.size }] });
      expect(md5(fs.readFileSync(path.join(dataDir, 'files', rows[0].storage_key)))).toBe(version.md5);
    }
    for (const [projectId, owner] of promised.owners) {
      const { rows } = await db.query(`SELECT a.username FROM projects p JOIN accounts a ON a.id = p.owner_id WHERE p.id = $1`, [projectId]);
      expect({ projectId, owner: rows[0]?.username }).toEqual({ projectId, owner });
    }
    for (const projectId of promised.deletedProjects) {
      expect((await db.query(`SELECT 1 FROM projects WHERE id = $1`, [projectId])).rows).toEqual([]);
      expect(storedFiles().filter((key) => key.startsWith(`projects/${projectId}/`))).toEqual([]);
    }
    for (const { projectId, file } of promised.deletedFiles) {
      expect((await db.query(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = $2`, [projectId, file])).rows).toEqual([]);
    }
  }

  it(`survives ${ROUNDS} kills at seeded random points with nothing acknowledged lost and storage matching the rows`, async () => {
    const random = prng(SEED);
    const promised: Promises = { versions: new Map(), owners: new Map(), deletedProjects: new Set(), deletedFiles: [] };
    const content = (size: number, seed: number) => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) bytes.writeUInt32LE((seed * 2654435761 + i) >>> 0, i);
      return bytes;
    };

    await start();
    const base = () => server!.url;
    const login = await fetch(`${base()}/auth/login/`, { method: 'POST', body: new URLSearchParams(ADMIN) });
    const admin = ((await login.json()) as { token: string }).token;
    const tokens: Record<string, string> = {};
    for (const username of ['crash_alice', 'crash_bob']) {
      const created = await call(base(), admin, 'POST', '/users/', { username, email: `${username}@example.com`, password: `${username}-password` });
      expect(created?.status).toBe(201);
      const res = await fetch(`${base()}/auth/login/`, { method: 'POST', body: new URLSearchParams({ username, password: `${username}-password` }) });
      tokens[username] = ((await res.json()) as { token: string }).token;
    }
    const people = ['crash_alice', 'crash_bob'];
    // Projects owned by each person; a transfer swaps a project between them (each owner is admin of their own).
    const owned = new Map<string, string>();
    const createProject = async (owner: string, name: string) => {
      const res = await call(base(), tokens[owner], 'POST', '/projects/', { name });
      expect(res?.status).toBe(201);
      owned.set(res!.body.id, owner);
      return res!.body.id as string;
    };

    for (let round = 0; round < ROUNDS; round++) {
      // Fixtures for this round, made while nothing is being killed.
      const uploadsInto = await createProject(people[round % 2], `uploads-${round}`);
      const doomed = await createProject(people[(round + 1) % 2], `doomed-${round}`);
      const withFiles = await createProject(people[round % 2], `files-${round}`);
      for (const [projectId, owner] of [
        [doomed, people[(round + 1) % 2]],
        [withFiles, people[round % 2]],
      ]) {
        for (let i = 0; i < 3; i++) {
          const bytes = content(20_000 + i, round * 10 + i);
          const res = await streamUpload(base(), tokens[owner], projectId, `keep/f-${i}.bin`, bytes);
          expect(res?.status).toBe(201);
          promised.versions.set(res!.body.versions[0].version_id, { projectId, file: `keep/f-${i}.bin`, md5: md5(bytes), size: bytes.length });
        }
      }
      // Earlier rounds' projects change hands; this round's are written to by their owners meanwhile.
      const movable = [...owned.entries()].filter(([id]) => ![uploadsInto, doomed, withFiles].includes(id)).slice(-4);

      // The burst: large streamed and small uploads, transfers, a file delete and a project delete at once.
      const uploader = owned.get(uploadsInto)!;
      const work: Promise<void>[] = [];
      // Nothing in the burst can be refused by the rules: an answer is the success, or none (the kill).
      let answered = 0;
      let killAfter = (): void => undefined;
      const settle = (answer: Answer | null, ok: number, onOk: (body: any) => void) => {
        killAfter();
        if (answer === null) return void outcomes.cutOff++;
        answered++;
        expect({ status: answer.status, body: answer.body }).toEqual({ status: ok, body: answer.body });
        outcomes.acknowledged++;
        onOk(answer.body);
      };
      // A newer write to an object replaces what an older 2xx promised about it, whether or not it is answered.
      const forgetVersions = (projectId: string, file?: string) => {
        for (const [id, v] of promised.versions) if (v.projectId === projectId && (file === undefined || v.file === file)) promised.versions.delete(id);
      };
      for (let i = 0; i < 3; i++) {
        const file = `big/r${round}-${i}.bin`;
        const bytes = content(Math.floor((2 + random() * 8) * 1024 * 1024), round * 100 + i);
        const hash = md5(bytes);
        work.push(
          streamUpload(base(), tokens[uploader], uploadsInto, file, bytes).then((a) =>
            settle(a, 201, (body) => promised.versions.set(body.versions[0].version_id, { projectId: uploadsInto, file, md5: hash, size: bytes.length })),
          ),
        );
      }
      for (let i = 0; i < 8; i++) {
        const file = `small/r${round}-${i}.txt`;
        const bytes = content(1000 + Math.floor(random() * 50_000), round * 1000 + i);
        const hash = md5(bytes);
        work.push(
          streamUpload(base(), tokens[uploader], uploadsInto, file, bytes).then((a) =>
            settle(a, 201, (body) => promised.versions.set(body.versions[0].version_id, { projectId: uploadsInto, file, md5: hash, size: bytes.length })),
          ),
        );
      }
      for (const [projectId, owner] of movable) {
        const target = people.find((p) => p !== owner)!;
        promised.owners.delete(projectId);
        work.push(
          call(base(), tokens[owner], 'PATCH', `/projects/${projectId}/`, { owner: target }).then((a) =>
            settle(a, 200, () => {
              promised.owners.set(projectId, target);
              owned.set(projectId, target);
            }),
          ),
        );
      }
      const fileOwner = owned.get(withFiles)!;
      forgetVersions(withFiles, 'keep/f-1.bin');
      work.push(
        call(base(), tokens[fileOwner], 'DELETE', `/files/${withFiles}/keep/f-1.bin/`).then((a) =>
          settle(a, 204, () => promised.deletedFiles.push({ projectId: withFiles, file: 'keep/f-1.bin' })),
        ),
      );
      forgetVersions(doomed);
      work.push(
        call(base(), tokens[owned.get(doomed)!], 'DELETE', `/projects/${doomed}/`).then((a) => settle(a, 204, () => promised.deletedProjects.add(doomed))),
      );

      // The kill, at a seeded point while the burst runs: after its k-th answer (k = 0: while the first
      // requests stream), and a little later still.
      const k = Math.floor(random() * work.length * 0.6);
      await new Promise<void>((resolve) => {
        killAfter = () => answered >= k && resolve();
        killAfter();
      });
      await sleep(Math.floor(random() * 50));
      await server!.stop('SIGKILL');
      await Promise.all(work);
      const rows = new Set((await db.query(`SELECT storage_key FROM file_versions`)).rows.map((r) => r.storage_key));
      const queued = new Set((await db.query(`SELECT storage_key FROM storage_deletions`)).rows.map((r) => r.storage_key));
      const left = storedFiles().filter((key) => !rows.has(key));
      leftovers += left.length;
      const orphans = left.filter((key) => !queued.has(key)).length;
      // Writes cut off by the kill may or may not have committed: whatever the database says about them is
      // now the truth, so the client-side bookkeeping follows it (only 2xx answers are promises).
      for (const id of [...owned.keys()]) {
        const { rows } = await db.query(`SELECT a.username FROM projects p JOIN accounts a ON a.id = p.owner_id WHERE p.id = $1`, [id]);
        if (rows[0]) owned.set(id, rows[0].username);
        else owned.delete(id);
      }

      await sleep(GRACE_SECONDS * 1000 + 100);
      await start();
      // The sweep runs beside the first requests; its line says it is through (so it cannot meet this
      // round's uploads half-committed), and it names the orphans it removed.
      if (orphans > 0) expect(await server!.line('stored object(s) that no row points to', 30_000)).toContain(`removed ${orphans} stored object(s)`);
      await storageSettled();
      await expectConsistent(promised);
    }
    console.log(
      `crash rounds: ${ROUNDS}, writes acknowledged ${outcomes.acknowledged}, cut off by the kill ${outcomes.cutOff}, leftover stored objects swept at start ${leftovers}; promises checked: ${promised.versions.size} versions, ${promised.owners.size} transfers, ${promised.deletedProjects.size} project deletes, ${promised.deletedFiles.length} file deletes`,
    );
    // The kills did land in the middle of writes, and left bytes behind for the sweep.
    expect(outcomes.cutOff).toBeGreaterThan(0);
    expect(leftovers).toBeGreaterThan(0);
    await server!.stop('SIGTERM');
  }, 240_000);
});
