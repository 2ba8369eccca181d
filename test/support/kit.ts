// The shared test kit: one of each small helper, the factories the e2e files build their worlds with,
// and the one HTTP client helper. A helper two test files need lives here, not in either of them.
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import request from 'supertest';
import { auth, type TestApp } from './test-app.js';

export type Role = 'admin' | 'manager' | 'editor' | 'reporter' | 'reader';
export type MembershipRole = 'admin' | 'creator' | 'member';
export type Body = Record<string, unknown>;

export const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The reserved words of spec §4: no person or organization may take them as a username. */
// prettier-ignore
export const RESERVED = [
  'api', 'auth', 'collaborators', 'docs', 'files', 'members', 'openapi', 'organization', 'organizations', 'owner',
  'project', 'projects', 'public', 'shared_datasets', 'status', 'team', 'teams', 'user', 'users',
];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` passes (or the time is up), so cleanup that follows an answer has a moment. */
export async function eventually<T>(read: () => T | Promise<T>, check: (value: T) => boolean, timeoutMs = 2000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > until) return value;
    await sleep(25);
  }
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) || png.subarray(12, 16).toString('latin1') !== 'IHDR')
    throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** Spec §8's md5sum: the md5 up to 8 MiB; above, the md5 of the 8 MiB parts' binary md5s, `-`, the part count. */
export function s3Etag(bytes: Buffer): string {
  const part = 8 * 1024 * 1024;
  if (bytes.length <= part) return md5(bytes);
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += part)
    parts.push(
      createHash('md5')
        .update(bytes.subarray(at, at + part))
        .digest(),
    );
  return `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
}
export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Each segment URL-encoded, the `/` separators kept. */
export const encodePath = (file: string) => file.split('/').map(encodeURIComponent).join('/');

/** A supertest parser that keeps the body as raw bytes, whatever its content type: `.buffer(true).parse(binary)`. */
export function binary(res: request.Response, done: (error: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as http.IncomingMessage;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

// ---------------------------------------------------------------------------------------------
// The one HTTP client helper: requests as a caller, the token in the Authorization header. Takes the
// app or a getter of it (for helpers made while a describe block is declared, before its beforeAll ran).

export function client(app: TestApp | (() => TestApp)) {
  const http = () => (typeof app === 'function' ? app() : app).http;
  return {
    get: (path: string, token: string) => request(http()).get(path).set(auth(token)),
    post: (path: string, token: string, body: Body = {}) => request(http()).post(path).set(auth(token)).send(body),
    patch: (path: string, token: string, body: Body = {}) => request(http()).patch(path).set(auth(token)).send(body),
    put: (path: string, token: string, body: Body = {}) => request(http()).put(path).set(auth(token)).send(body),
    del: (path: string, token: string) => request(http()).delete(path).set(auth(token)),
  };
}

/** Fails the fixture loudly when the API did not answer `status`. */
function expectFixture(res: request.Response, status: number, what: string): request.Response {
  if (res.status !== status) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Factories: persons, organizations, teams, projects, collaborators, files.

let counter = 0;
/** A unique account name (each app has its own database, but tests within one app share it). */
export const uniqueName = (prefix: string) => `${prefix}${++counter}x${Math.random().toString(36).slice(2, 7)}`;

export interface Person {
  username: string;
  password: string;
  email: string;
}

/** Creates a person with a unique name through the API as the admin; does not log them in. */
export async function newPerson(t: TestApp, prefix: string, names: { first_name?: string; last_name?: string } = {}): Promise<Person> {
  const username = uniqueName(prefix);
  const person = { username, password: `${username}-secret`, email: `${username}@example.com` };
  const res = await client(t).post('/api/v1/users/', await t.adminToken(), { ...person, ...names });
  expectFixture(res, 201, `creating ${username}`);
  return person;
}

export async function accountId(t: TestApp, username: string): Promise<string> {
  const [row] = await t.sql<{ id: string }>(`SELECT id FROM accounts WHERE lower(username) = lower($1)`, [username]);
  if (!row) throw new Error(`no account ${username}`);
  return row.id;
}

/**
 * An organization (accounts type 2) owned by `owner`, straight in SQL (so a test needs no other route
 * than its own); members as [username, role]. Returns its id.
 */
export async function makeOrganization(
  t: TestApp,
  name: string,
  owner: string,
  members: [string, MembershipRole][] = [],
  defaultProjectRole: string | null = null,
): Promise<string> {
  const [{ id }] = await t.sql<{ id: string }>(
    `INSERT INTO accounts (type, username, organization_owner_id, default_project_role_for_members) VALUES (2, $1, $2, $3) RETURNING id`,
    [name, await accountId(t, owner), defaultProjectRole],
  );
  for (const [member, role] of members) await addMember(t, name, member, role);
  return id;
}

export async function addMember(t: TestApp, organization: string, member: string, role: MembershipRole): Promise<void> {
  await t.sql(`INSERT INTO organization_members (organization_id, member_id, role) VALUES ($1, $2, $3)`, [
    await accountId(t, organization),
    await accountId(t, member),
    role,
  ]);
}

/** A team (accounts type 3, stored as `@org/team`) of an organization, with its members. Returns its id. */
export async function makeTeam(t: TestApp, organization: string, team: string, members: string[] = []): Promise<string> {
  const [{ id }] = await t.sql<{ id: string }>(`INSERT INTO accounts (type, username, team_organization_id) VALUES (3, $1, $2) RETURNING id`, [
    `@${organization}/${team}`,
    await accountId(t, organization),
  ]);
  for (const member of members) await t.sql(`INSERT INTO team_members (team_id, member_id) VALUES ($1, $2)`, [id, await accountId(t, member)]);
  return id;
}

/** Creates a project through the API and returns it; fails loudly when the create does not answer 201. */
export async function createProject<T = Record<string, any>>(t: TestApp, token: string, body: Body): Promise<T> {
  const res = await client(t).post('/api/v1/projects/', token, body);
  return expectFixture(res, 201, `creating project ${JSON.stringify(body)}`).body;
}

/** A project row straight in SQL (no API, no owner role checks). Returns its id. */
export async function insertProject(t: TestApp, owner: string, name: string, isPublic = false): Promise<string> {
  const [row] = await t.sql<{ id: string }>(`INSERT INTO projects (owner_id, name, is_public) VALUES ($1, $2, $3) RETURNING id`, [
    await accountId(t, owner),
    name,
    isPublic,
  ]);
  return row.id;
}

/** A collaborator row straight in SQL (no API, no role checks). */
export async function addCollaborator(t: TestApp, projectId: string, collaborator: string, role: Role | string): Promise<void> {
  await t.sql(`INSERT INTO project_collaborators (project_id, collaborator_id, role) VALUES ($1, $2, $3)`, [projectId, await accountId(t, collaborator), role]);
}

/** Adds a collaborator through the API as `token`; fails loudly unless 201. */
export async function shareProject(t: TestApp, token: string, projectId: string, collaborator: string, role: Role): Promise<void> {
  const res = await client(t).post(`/api/v1/collaborators/${projectId}/`, token, { collaborator, role });
  expectFixture(res, 201, `adding ${collaborator} as ${role}`);
}

/** The URL of a project file. */
export const fileUrl = (projectId: string, file: string, slash = true) => `/api/v1/files/${projectId}/${encodePath(file)}${slash ? '/' : ''}`;

/** Uploads a file through the API (multipart, as the clients do); the answer is left to the caller. */
export const uploadFile = (t: TestApp, token: string, projectId: string, file: string, content: Buffer, options: { slash?: boolean } = {}) =>
  request(t.http)
    .post(fileUrl(projectId, file, options.slash ?? true))
    .set(auth(token))
    .attach('file', content, { filename: path.posix.basename(file) || 'file', contentType: 'application/octet-stream' });

/** Uploads a file and fails loudly unless 201; returns the file object. */
export async function putFile(t: TestApp, token: string, projectId: string, file: string, content: Buffer): Promise<Record<string, any>> {
  return expectFixture(await uploadFile(t, token, projectId, file, content), 201, `uploading ${file}`).body;
}

// ---------------------------------------------------------------------------------------------
// Images built by hand (the server checks the bytes, not the name).

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex');

/**
 * A valid RGBA PNG of the given size: all transparent, or random pixels (which hardly compress) with
 * `random`; optionally with a tEXt chunk of `textBytes` characters.
 */
export function png(width: number, height: number, options: { textBytes?: number; random?: boolean } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const row = () => Buffer.concat([Buffer.from([0]), options.random ? randomBytes(width * 4) : Buffer.alloc(width * 4)]);
  const pixels = Buffer.concat(Array.from({ length: height }, row));
  const textBytes = options.textBytes ?? 0;
  const text = textBytes > 0 ? [pngChunk('tEXt', Buffer.from(`Comment\0${'x'.repeat(textBytes)}`, 'latin1'))] : [];
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), ...text, pngChunk('IDAT', deflateSync(pixels)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The 1×1 PNG of the brief. */
export const TINY_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f0a0000000049454e44ae426082',
  'hex',
);

/** A minimal JFIF: SOI, APP0, SOF0 (3×2, three components), EOI. */
export const TINY_JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffc0001108000200030301220002110103110100ffd9', 'hex');
