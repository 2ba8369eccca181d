// What the files e2e files share: the files API as a caller uses it, raw requests, multipart by hand,
// and looks into storage and the file tables.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { binary, createProject, eventually, fileUrl, putFile, shareProject, uploadFile, type Role } from './kit.js';
import { auth, type TestApp } from './test-app.js';

export const FILES = '/api/v1/files/';
export const PROJECTS = '/api/v1/projects/';
export const FILE_FIELDS = ['name', 'size', 'md5sum', 'sha256', 'last_modified', 'is_attachment', 'versions'];
export const VERSION_FIELDS = ['version_id', 'size', 'md5sum', 'sha256', 'last_modified'];

export async function listen(t: TestApp): Promise<string> {
  const server = t.http as unknown as http.Server;
  if (!server.address()) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** A request through node:http, for URLs that a WHATWG URL parser would normalise (`.`/`..` segments). */
export function raw(base: string, method: string, urlPath: string, headers: Record<string, string | number>, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // Host, port and path given apart: a URL string would be parsed (and its dot segments removed) by node:http.
    const { hostname, port } = new URL(base);
    const req = http.request({ hostname, port, path: urlPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const BOUNDARY = 'fieldbase-test-boundary-7MA4YWxkTrZu0gW';
export const multipartHead = (filename: string) =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
export const MULTIPART_TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/**
 * Every stored object of a project (storage keys `projects/<id>/…`), whichever the driver: with the
 * local driver this includes temporary `*.partial` files, so an empty answer means no file at all.
 */
export const storedFiles = (t: TestApp, projectId: string): Promise<string[]> => t.storedKeys(`projects/${projectId}/`);

/** The project's stored objects once they are all gone, or what is left when the wait runs out (removal may lag behind the answer). */
export const storedFilesOnceEmpty = (t: TestApp, projectId: string): Promise<string[]> =>
  eventually(
    () => storedFiles(t, projectId),
    (files) => files.length === 0,
  );

/** Whether the storage holds `key`. */
export const isStored = async (t: TestApp, key: string): Promise<boolean> => (await t.storedKeys(key.slice(0, key.lastIndexOf('/') + 1))).includes(key);

/** The stored bytes at `key`. */
export async function storedBytes(t: TestApp, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await t.storage.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function versionKeys(t: TestApp, projectId: string): Promise<string[]> {
  const rows = await t.sql<{ storage_key: string }>(
    `SELECT v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1 ORDER BY v.storage_key`,
    [projectId],
  );
  return rows.map((row) => row.storage_key).sort();
}

export async function fileRowCount(t: TestApp, projectId: string): Promise<{ files: number; versions: number }> {
  const [row] = await t.sql<{ files: number; versions: number }>(
    `SELECT (SELECT count(*)::int FROM project_files WHERE project_id = $1) AS files,
            (SELECT count(*)::int FROM file_versions v JOIN project_files f ON f.id = v.file_id WHERE f.project_id = $1) AS versions`,
    [projectId],
  );
  return row;
}

/** The files routes as one caller uses them (spec §8). */
export function filesApi(t: TestApp) {
  return {
    fileUrl,
    /** Creates a project and returns it; fails loudly when the create does not answer 201. */
    project: (token: string, name: string, extra: Record<string, unknown> = {}) => createProject(t, token, { name, ...extra }),
    getProject: async (token: string, id: string) => {
      const res = await request(t.http).get(`${PROJECTS}${id}/`).set(auth(token));
      if (res.status !== 200) throw new Error(`reading project ${id} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Record<string, any>;
    },
    me: async (token: string) => {
      const res = await request(t.http).get('/api/v1/auth/user/').set(auth(token));
      if (res.status !== 200) throw new Error(`GET auth/user failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Record<string, any>;
    },
    grant: (owner: string, projectId: string, collaborator: string, role: Role) => shareProject(t, owner, projectId, collaborator, role),
    setQuota: async (username: string, bytes: number) => {
      const res = await request(t.http)
        .patch(`/api/v1/users/${username}/`)
        .set(auth(await t.adminToken()))
        .send({ storage_quota_bytes: bytes });
      if (res.status !== 200) throw new Error(`setting the quota of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    upload: (token: string, projectId: string, file: string, content: Buffer, options: { slash?: boolean } = {}) =>
      uploadFile(t, token, projectId, file, content, options),
    /** Uploads and fails loudly unless 201; returns the file object. */
    put: (token: string, projectId: string, file: string, content: Buffer) => putFile(t, token, projectId, file, content),
    /** GET of a file with the body kept as bytes. */
    download: (
      token: string,
      projectId: string,
      file: string,
      options: { slash?: boolean; headers?: Record<string, string>; query?: Record<string, string> } = {},
    ) => {
      const req = request(t.http)
        .get(fileUrl(projectId, file, options.slash ?? true))
        .set(auth(token))
        .set(options.headers ?? {});
      if (options.query) req.query(options.query);
      return req.buffer(true).parse(binary);
    },
    /** GET of a file whose answer is expected to be a JSON error. */
    downloadError: (token: string, projectId: string, file: string, options: { headers?: Record<string, string>; query?: Record<string, string> } = {}) => {
      const req = request(t.http)
        .get(fileUrl(projectId, file))
        .set(auth(token))
        .set(options.headers ?? {});
      if (options.query) req.query(options.query);
      return req;
    },
    list: (token: string, projectId: string, query: Record<string, string> = {}) => request(t.http).get(`${FILES}${projectId}/`).query(query).set(auth(token)),
    remove: (token: string, projectId: string, file: string, options: { slash?: boolean; version?: string } = {}) => {
      const req = request(t.http)
        .delete(fileUrl(projectId, file, options.slash ?? true))
        .set(auth(token));
      return options.version === undefined ? req : req.set('x-file-version', options.version);
    },
  };
}

// =============================================================================================
