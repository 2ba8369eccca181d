import { deflateSync } from 'node:zlib';
import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';

/** The project object of spec §5.1, fields in the order of the table. */
const PROJECT_FIELDS = [
  'id',
  'name',
  'project_type',
  'owner',
  'description',
  'private',
  'is_public',
  'created_at',
  'updated_at',
  'data_last_packaged_at',
  'data_last_updated_at',
  'restricted_data_last_updated_at',
  'can_repackage',
  'needs_repackaging',
  'status',
  'user_role',
  'user_role_origin',
  'shared_datasets_project_id',
  'is_shared_datasets_project',
  'is_featured',
  'is_attachment_download_on_demand',
  'has_restricted_projectfiles',
  'overwrite_conflicts',
  'file_storage_bytes',
  'the_qgis_file_name',
  'qgis_version',
];
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROJECTS = '/api/v1/projects/';

type Res = request.Response;
type Role = 'admin' | 'manager' | 'editor' | 'reporter' | 'reader';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Images built by hand (spec §5.7 checks the bytes, not the name).

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
const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex');
/** A valid RGBA PNG of the given size (all transparent), optionally with a tEXt chunk of `textBytes` characters. */
function png(width: number, height: number, textBytes = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  const text = textBytes > 0 ? [pngChunk('tEXt', Buffer.from(`Comment\0${'x'.repeat(textBytes)}`, 'latin1'))] : [];
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), ...text, pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}
/** The 1×1 PNG of the brief. */
const TINY_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f0a0000000049454e44ae426082',
  'hex',
);
/** A minimal JFIF: SOI, APP0, SOF0 (3×2, three components), EOI. */
const TINY_JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffc0001108000200030301220002110103110100ffd9', 'hex');

// ---------------------------------------------------------------------------------------------
// Fixtures.

async function accountId(t: TestApp, username: string): Promise<string> {
  const [row] = await t.sql<{ id: string }>(`SELECT id FROM accounts WHERE username = $1`, [username]);
  if (!row) throw new Error(`no account ${username}`);
  return row.id;
}

/** An organization (accounts type 2) owned by `owner`; members as [username, role]. */
async function makeOrganization(t: TestApp, name: string, owner: string, members: [string, 'admin' | 'creator' | 'member'][] = []): Promise<string> {
  const [{ id }] = await t.sql<{ id: string }>(`INSERT INTO accounts (type, username, organization_owner_id) VALUES (2, $1, $2) RETURNING id`, [
    name,
    await accountId(t, owner),
  ]);
  for (const [member, role] of members) {
    await t.sql(`INSERT INTO organization_members (organization_id, member_id, role) VALUES ($1, $2, $3)`, [id, await accountId(t, member), role]);
  }
  return id;
}

/** A team (accounts type 3) `@org/team` of an organization. */
async function makeTeam(t: TestApp, organization: string, team: string): Promise<string> {
  const [{ id }] = await t.sql<{ id: string }>(`INSERT INTO accounts (type, username, team_organization_id) VALUES (3, $1, $2) RETURNING id`, [
    `@${organization}/${team}`,
    await accountId(t, organization),
  ]);
  return id;
}

async function addCollaborator(t: TestApp, projectId: string, username: string, role: Role): Promise<void> {
  await t.sql(`INSERT INTO project_collaborators (project_id, collaborator_id, role) VALUES ($1, $2, $3)`, [projectId, await accountId(t, username), role]);
}

async function collaboratorNames(t: TestApp, projectId: string): Promise<string[]> {
  const rows = await t.sql<{ username: string }>(
    `SELECT a.username FROM project_collaborators c JOIN accounts a ON a.id = c.collaborator_id WHERE c.project_id = $1 ORDER BY a.username`,
    [projectId],
  );
  return rows.map((row) => row.username);
}

function api(t: TestApp) {
  return {
    create: (token: string, body: Record<string, unknown>) => request(t.http).post(PROJECTS).set(auth(token)).send(body),
    createForm: (token: string, form: string) => request(t.http).post(PROJECTS).set(auth(token)).type('form').send(form),
    get: (token: string, id: string) => request(t.http).get(`${PROJECTS}${id}/`).set(auth(token)),
    patch: (token: string, id: string, body?: Record<string, unknown>) => {
      const req = request(t.http).patch(`${PROJECTS}${id}/`).set(auth(token));
      return body === undefined ? req : req.send(body);
    },
    patchForm: (token: string, id: string, form: string) => request(t.http).patch(`${PROJECTS}${id}/`).set(auth(token)).type('form').send(form),
    put: (token: string, id: string, body: Record<string, unknown>) => request(t.http).put(`${PROJECTS}${id}/`).set(auth(token)).send(body),
    del: (token: string, id: string) => request(t.http).delete(`${PROJECTS}${id}/`).set(auth(token)),
    /** Creates a project and returns it; fails loudly when the create does not answer 201. */
    project: async (token: string, name: string, extra: Record<string, unknown> = {}) => {
      const res = await request(t.http)
        .post(PROJECTS)
        .set(auth(token))
        .send({ name, ...extra });
      if (res.status !== 201) throw new Error(`creating project ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Record<string, any>;
    },
  };
}

// =============================================================================================

describe('POST /api/v1/projects/ and the project object (spec §5.1, §5.5)', () => {
  let t: TestApp;
  let p: ReturnType<typeof api>;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestApp();
    p = api(t);
    alice = await t.createPerson('alice');
    bob = await t.createPerson('bob');
  });
  afterAll(() => t?.close());

  describe('the project object (§5.1)', () => {
    let created: Res;
    beforeAll(async () => {
      created = await p.create(alice, { name: 'object-shape' });
    });

    it('answers 201', () => {
      expectStatus(created, 201);
    });

    it('has every field of the table, in its order', () => {
      expect(Object.keys(created.body)).toEqual(PROJECT_FIELDS);
    });

    it('renders the id as a lowercase UUID', () => {
      expect(created.body.id).toMatch(LOWER_UUID);
    });

    it('has the defaults of a new project without a QGIS file', () => {
      expect(created.body).toEqual(
        expect.objectContaining({
          name: 'object-shape',
          project_type: 'regular',
          owner: 'alice',
          description: '',
          private: true,
          is_public: false,
          data_last_packaged_at: null,
          data_last_updated_at: null,
          restricted_data_last_updated_at: null,
          can_repackage: true,
          needs_repackaging: true,
          status: 'failed',
          shared_datasets_project_id: null,
          is_shared_datasets_project: false,
          is_featured: false,
          is_attachment_download_on_demand: false,
          has_restricted_projectfiles: false,
          overwrite_conflicts: true,
          file_storage_bytes: 0,
          the_qgis_file_name: null,
          qgis_version: null,
        }),
      );
    });

    it('carries the caller’s role on the create answer (owner: admin, direct)', () => {
      expect([created.body.user_role, created.body.user_role_origin]).toEqual(['admin', 'direct']);
    });

    it('renders timestamps as ISO 8601 in UTC with Z', () => {
      expect(created.body.created_at).toMatch(ISO_Z);
      expect(created.body.updated_at).toMatch(ISO_Z);
      expect(Math.abs(Date.parse(created.body.created_at) - Date.now())).toBeLessThan(60_000);
    });

    it('is stored: GET answers the same object, with project_details (§5.1: only there)', async () => {
      const res = await p.get(alice, created.body.id);
      expectStatus(res, 200);
      expect(res.body).toEqual({ ...created.body, project_details: null });
    });

    it('has can_repackage false for a template', async () => {
      const res = await p.create(alice, { name: 'object-template', project_type: 'template' });
      expectStatus(res, 201);
      expect([res.body.project_type, res.body.can_repackage]).toEqual(['template', false]);
    });
  });

  describe('bodies (§1)', () => {
    it('takes a JSON body with JSON booleans', async () => {
      const res = await p.create(alice, {
        name: 'json-body',
        description: 'from json',
        is_public: true,
        is_featured: true,
        is_attachment_download_on_demand: true,
        has_restricted_projectfiles: true,
        overwrite_conflicts: false,
      });
      expectStatus(res, 201);
      expect(res.body).toEqual(
        expect.objectContaining({
          description: 'from json',
          is_public: true,
          private: false,
          is_featured: true,
          is_attachment_download_on_demand: true,
          has_restricted_projectfiles: true,
          overwrite_conflicts: false,
        }),
      );
    });

    it('takes a form body with 1/0 booleans', async () => {
      const res = await p.createForm(alice, 'name=form-10&description=from+form&is_public=1&is_featured=1&has_restricted_projectfiles=0&overwrite_conflicts=0');
      expectStatus(res, 201);
      expect(res.body).toEqual(
        expect.objectContaining({ name: 'form-10', description: 'from form', is_public: true, is_featured: true, has_restricted_projectfiles: false, overwrite_conflicts: false }),
      );
    });

    it('takes a form body with True/False booleans', async () => {
      const res = await p.createForm(alice, 'name=form-tf&is_public=True&is_attachment_download_on_demand=True&overwrite_conflicts=False');
      expectStatus(res, 201);
      expect(res.body).toEqual(expect.objectContaining({ is_public: true, is_attachment_download_on_demand: true, overwrite_conflicts: false }));
    });

    it('takes a multipart body', async () => {
      const res = await request(t.http).post(PROJECTS).set(auth(alice)).field('name', 'multipart-body').field('is_public', 'true').field('description', 'mp');
      expectStatus(res, 201);
      expect(res.body).toEqual(expect.objectContaining({ name: 'multipart-body', is_public: true, description: 'mp' }));
    });

    it('answers a boolean it cannot read with 400 validation_error naming the field', async () => {
      const res = await p.createForm(alice, 'name=bad-bool&is_public=yes');
      expectError(res, 400, 'validation_error', 'is_public');
    });

    it('ignores unknown and read-only fields', async () => {
      const res = await p.create(alice, { name: 'readonly-create', id: '00000000-0000-0000-0000-000000000001', file_storage_bytes: 5, status: 'ok', whatever: 1 });
      expectStatus(res, 201);
      expect(res.body.id).not.toBe('00000000-0000-0000-0000-000000000001');
      expect([res.body.file_storage_bytes, res.body.status]).toEqual([0, 'failed']);
    });

    it('needs authentication', async () => {
      const res = await request(t.http).post(PROJECTS).send({ name: 'anonymous' });
      expectError(res, 401, 'not_authenticated');
    });
  });

  describe('name rules', () => {
    it('accepts letters, digits, ".", "_" and "-"', async () => {
      const res = await p.create(alice, { name: 'Az09._-x' });
      expectStatus(res, 201);
      expect(res.body.name).toBe('Az09._-x');
    });

    it('accepts a name of 255 characters', async () => {
      const res = await p.create(alice, { name: 'n'.repeat(255) });
      expectStatus(res, 201);
    });

    it.each(['with space', 'slash/name', 'ünïcode', 'star*', 'semi;colon', 'new\nline'])('refuses the name %j with 400 validation_error on name', async (name) => {
      const res = await p.create(alice, { name });
      expectError(res, 400, 'validation_error', 'name');
    });

    it('refuses an empty name', async () => {
      expectError(await p.create(alice, { name: '' }), 400, 'validation_error', 'name');
    });

    it('refuses a name of 256 characters', async () => {
      expectError(await p.create(alice, { name: 'n'.repeat(256) }), 400, 'validation_error', 'name');
    });

    it('refuses a missing name', async () => {
      expectError(await p.create(alice, { description: 'no name' }), 400, 'validation_error', 'name');
    });

    it('refuses a non-string name', async () => {
      expectError(await p.create(alice, { name: 12 }), 400, 'validation_error', 'name');
    });

    it('stores nothing for a refused create', async () => {
      await p.create(alice, { name: 'bad name' });
      expect(await t.sql(`SELECT 1 FROM projects WHERE name = 'bad name'`)).toHaveLength(0);
    });
  });

  describe('description', () => {
    it('accepts 100 000 characters', async () => {
      const res = await p.create(alice, { name: 'long-description', description: 'd'.repeat(100000) });
      expectStatus(res, 201);
      expect(res.body.description).toHaveLength(100000);
    });

    it('refuses 100 001 characters with 400 validation_error on description', async () => {
      expectError(await p.create(alice, { name: 'too-long-description', description: 'd'.repeat(100001) }), 400, 'validation_error', 'description');
    });
  });

  describe('private and is_public', () => {
    it('private=0 makes the project public', async () => {
      const res = await p.createForm(alice, 'name=private-0&private=0');
      expectStatus(res, 201);
      expect([res.body.is_public, res.body.private]).toEqual([true, false]);
    });

    it('private=1 wins over is_public=1', async () => {
      const res = await p.createForm(alice, 'name=private-1-public-1&private=1&is_public=1');
      expectStatus(res, 201);
      expect([res.body.is_public, res.body.private]).toEqual([false, true]);
    });

    it('private=False wins over is_public=False', async () => {
      const res = await p.createForm(alice, 'name=private-f-public-f&private=False&is_public=False');
      expectStatus(res, 201);
      expect([res.body.is_public, res.body.private]).toEqual([true, false]);
    });
  });

  describe('project_type', () => {
    it('accepts template', async () => {
      const res = await p.create(alice, { name: 'a-template', project_type: 'template' });
      expectStatus(res, 201);
      expect(res.body.project_type).toBe('template');
    });

    it('accepts regular', async () => {
      const res = await p.create(alice, { name: 'a-regular', project_type: 'regular' });
      expectStatus(res, 201);
      expect(res.body.project_type).toBe('regular');
    });

    it('refuses shared_datasets asked for explicitly', async () => {
      expectError(await p.create(alice, { name: 'explicit-sd', project_type: 'shared_datasets' }), 400, 'validation_error', 'project_type');
    });

    it('refuses an unknown type', async () => {
      expectError(await p.create(alice, { name: 'unknown-type', project_type: 'fancy' }), 400, 'validation_error', 'project_type');
    });
  });

  describe('the shared_datasets project', () => {
    let carol: string;
    let before: Record<string, any>;
    let sd: Res;
    beforeAll(async () => {
      carol = await t.createPerson('carol');
      before = await p.project(carol, 'made-before');
      sd = await p.create(carol, { name: 'shared_datasets' });
    });

    it('comes from the name shared_datasets', () => {
      expectStatus(sd, 201);
      expect([sd.body.project_type, sd.body.is_shared_datasets_project]).toEqual(['shared_datasets', true]);
    });

    it('points at itself', () => {
      expect(sd.body.shared_datasets_project_id).toBe(sd.body.id);
    });

    it('has status ok without a QGIS file', () => {
      expect(sd.body.status).toBe('ok');
    });

    it('is named by every other project of the owner, older and newer', async () => {
      const after = await p.project(carol, 'made-after');
      expect(after.shared_datasets_project_id).toBe(sd.body.id);
      const older = await p.get(carol, before.id);
      expect(older.body.shared_datasets_project_id).toBe(sd.body.id);
      expect([older.body.is_shared_datasets_project, older.body.project_type]).toEqual([false, 'regular']);
    });

    it('is not named by projects of other owners', async () => {
      const other = await p.project(bob, 'not-carols');
      expect(other.shared_datasets_project_id).toBeNull();
    });

    it('exists at most once per owner: a second is 400 project_already_exists', async () => {
      expectError(await p.create(carol, { name: 'shared_datasets' }), 400, 'project_already_exists');
      expect(await t.sql(`SELECT 1 FROM projects WHERE name = 'shared_datasets' AND owner_id = $1`, [await accountId(t, 'carol')])).toHaveLength(1);
    });

    it('needs the exact lowercase name', async () => {
      const res = await p.create(carol, { name: 'Shared_Datasets' });
      expectStatus(res, 201);
      expect([res.body.project_type, res.body.is_shared_datasets_project]).toEqual(['regular', false]);
    });
  });

  describe('uniqueness', () => {
    it('refuses a duplicate name of the same owner with 400 project_already_exists', async () => {
      await p.project(alice, 'dup-name');
      expectError(await p.create(alice, { name: 'dup-name' }), 400, 'project_already_exists');
    });

    it('compares names case-sensitively: P1 and p1 may both exist', async () => {
      expectStatus(await p.create(alice, { name: 'P1' }), 201);
      expectStatus(await p.create(alice, { name: 'p1' }), 201);
    });

    it('allows the same name under another owner', async () => {
      await p.project(alice, 'shared-name');
      const res = await p.create(bob, { name: 'shared-name' });
      expectStatus(res, 201);
      expect(res.body.owner).toBe('bob');
    });

    it('lets exactly one of ten concurrent creates of one name win; the others get 400, never 500', async () => {
      const responses = await Promise.all(Array.from({ length: 10 }, () => p.create(alice, { name: 'race-create' })));
      const statuses = responses.map((res) => res.status).sort();
      expect(statuses).toEqual([201, ...Array(9).fill(400)]);
      for (const res of responses.filter((r) => r.status === 400)) expect(res.body.code).toBe('project_already_exists');
      expect(await t.sql(`SELECT 1 FROM projects WHERE name = 'race-create'`)).toHaveLength(1);
    });
  });

  describe('owner', () => {
    it('defaults to the caller', async () => {
      const res = await p.create(bob, { name: 'bobs-default' });
      expect(res.body.owner).toBe('bob');
    });

    it('may name the caller', async () => {
      const res = await p.create(bob, { name: 'bobs-explicit', owner: 'bob' });
      expectStatus(res, 201);
      expect(res.body.owner).toBe('bob');
    });

    it('naming another person is 403, and nothing is created', async () => {
      expectError(await p.create(bob, { name: 'for-alice', owner: 'alice' }), 403, 'permission_denied');
      expect(await t.sql(`SELECT 1 FROM projects WHERE name = 'for-alice'`)).toHaveLength(0);
    });

    it('naming an unknown account is 400 validation_error on owner', async () => {
      expectError(await p.create(bob, { name: 'for-nobody', owner: 'nobody-here' }), 400, 'validation_error', 'owner');
    });

    it('naming a team is 400 validation_error on owner', async () => {
      await t.createPerson('teamorgowner');
      await makeOrganization(t, 'teamorg', 'teamorgowner', [['bob', 'admin']]);
      await makeTeam(t, 'teamorg', 'crew');
      expectError(await p.create(bob, { name: 'for-team', owner: '@teamorg/crew' }), 400, 'validation_error', 'owner');
    });
  });

  describe('in an organization', () => {
    const tokens: Record<string, string> = {};
    beforeAll(async () => {
      for (const name of ['orgowner', 'orgadmin', 'orgcreator', 'orgmember', 'outsider']) tokens[name] = await t.createPerson(name);
      await makeOrganization(t, 'acme', 'orgowner', [
        ['orgadmin', 'admin'],
        ['orgcreator', 'creator'],
        ['orgmember', 'member'],
      ]);
    });

    it('the organization owner may create (admin by organization)', async () => {
      const res = await p.create(tokens.orgowner, { name: 'by-owner', owner: 'acme' });
      expectStatus(res, 201);
      expect([res.body.owner, res.body.user_role, res.body.user_role_origin]).toEqual(['acme', 'admin', 'organization']);
    });

    it('an admin member may create', async () => {
      const res = await p.create(tokens.orgadmin, { name: 'by-admin', owner: 'acme' });
      expectStatus(res, 201);
      expect([res.body.owner, res.body.user_role]).toEqual(['acme', 'admin']);
    });

    it('a creator member may create, and becomes a direct admin collaborator', async () => {
      const res = await p.create(tokens.orgcreator, { name: 'by-creator', owner: 'acme' });
      expectStatus(res, 201);
      expect([res.body.owner, res.body.user_role, res.body.user_role_origin]).toEqual(['acme', 'admin', 'direct']);
      const rows = await t.sql<{ role: string }>(`SELECT role FROM project_collaborators WHERE project_id = $1 AND collaborator_id = $2`, [
        res.body.id,
        await accountId(t, 'orgcreator'),
      ]);
      expect(rows).toEqual([{ role: 'admin' }]);
    });

    it('a plain member gets 403', async () => {
      expectError(await p.create(tokens.orgmember, { name: 'by-member', owner: 'acme' }), 403, 'permission_denied');
      expect(await t.sql(`SELECT 1 FROM projects WHERE name = 'by-member'`)).toHaveLength(0);
    });

    it('an outsider gets 403', async () => {
      expectError(await p.create(tokens.outsider, { name: 'by-outsider', owner: 'acme' }), 403, 'permission_denied');
    });

    it('a duplicate name in the organization is 400 project_already_exists', async () => {
      await p.project(tokens.orgadmin, 'org-dup', { owner: 'acme' });
      expectError(await p.create(tokens.orgowner, { name: 'org-dup', owner: 'acme' }), 400, 'project_already_exists');
    });
  });
});

// =============================================================================================

describe('PATCH / PUT /api/v1/projects/{id}/ (spec §5.6)', () => {
  let t: TestApp;
  let p: ReturnType<typeof api>;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    p = api(t);
    for (const name of ['alice', 'manny', 'eddie', 'rita', 'reed', 'stranger']) tok[name] = await t.createPerson(name);
  });
  afterAll(() => t?.close());

  describe('who may update', () => {
    let id: string;
    let publicId: string;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'roles-project')).id;
      publicId = (await p.project(tok.alice, 'roles-public', { is_public: true })).id;
      await addCollaborator(t, id, 'manny', 'manager');
      await addCollaborator(t, id, 'eddie', 'editor');
      await addCollaborator(t, id, 'rita', 'reporter');
      await addCollaborator(t, id, 'reed', 'reader');
    });

    it('the admin (owner) may', async () => {
      const res = await p.patch(tok.alice, id, { description: 'by admin' });
      expectStatus(res, 200);
      expect(res.body.description).toBe('by admin');
    });

    it('a manager may', async () => {
      const res = await p.patch(tok.manny, id, { description: 'by manager' });
      expectStatus(res, 200);
      expect([res.body.description, res.body.user_role, res.body.user_role_origin]).toEqual(['by manager', 'manager', 'direct']);
    });

    it('a manager may PUT', async () => {
      const res = await p.put(tok.manny, id, { name: 'roles-project', description: 'put by manager' });
      expectStatus(res, 200);
      expect(res.body.description).toBe('put by manager');
    });

    it.each([
      ['an editor', 'eddie'],
      ['a reporter', 'rita'],
      ['a reader', 'reed'],
      ['a stranger', 'stranger'],
    ])('%s gets 403 and changes nothing', async (_, who) => {
      const before = (await p.get(tok.alice, id)).body;
      expectError(await p.patch(tok[who], id, { description: `by ${who}` }), 403, 'permission_denied');
      expectError(await p.put(tok[who], id, { name: 'roles-project', description: `by ${who}` }), 403, 'permission_denied');
      expect((await p.get(tok.alice, id)).body.description).toBe(before.description);
    });

    it('a person whose only role comes from the project being public gets 403', async () => {
      expect((await p.get(tok.stranger, publicId)).body.user_role_origin).toBe('public');
      expectError(await p.patch(tok.stranger, publicId, { description: 'by the public' }), 403, 'permission_denied');
    });

    it('answers 404 for an unknown project and 400 for a malformed id', async () => {
      expectError(await p.patch(tok.alice, '00000000-0000-4000-8000-000000000000', { description: 'x' }), 404, 'object_not_found');
      expectError(await p.patch(tok.alice, 'not-a-uuid', { description: 'x' }), 400, 'validation_error');
    });
  });

  describe('PUT', () => {
    let id: string;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'put-project')).id;
    });

    it('without name is 400 validation_error on name', async () => {
      expectError(await p.put(tok.alice, id, { description: 'no name' }), 400, 'validation_error', 'name');
      expect((await p.get(tok.alice, id)).body.description).toBe('');
    });

    it('with a name works like PATCH', async () => {
      const res = await p.put(tok.alice, id, { name: 'put-renamed', description: 'put' });
      expectStatus(res, 200);
      expect([res.body.name, res.body.description]).toEqual(['put-renamed', 'put']);
      expect(Object.keys(res.body)).toEqual(PROJECT_FIELDS);
    });
  });

  describe('updated_at and no-op updates', () => {
    let project: Record<string, any>;
    beforeAll(async () => {
      project = await p.project(tok.alice, 'timestamps', { description: 'same', is_featured: true });
      await sleep(20);
    });

    it('an empty PATCH answers the unchanged project', async () => {
      const res = await p.patch(tok.alice, project.id);
      expectStatus(res, 200);
      expect(res.body).toEqual(project);
    });

    it('an empty JSON object PATCH answers the unchanged project and leaves updated_at', async () => {
      const res = await p.patch(tok.alice, project.id, {});
      expectStatus(res, 200);
      expect(res.body.updated_at).toBe(project.updated_at);
    });

    it('a PATCH with the values the project already has does not move updated_at', async () => {
      const res = await p.patch(tok.alice, project.id, {
        name: 'timestamps',
        owner: 'alice',
        description: 'same',
        is_public: false,
        private: true,
        project_type: 'regular',
        is_featured: true,
        is_attachment_download_on_demand: false,
        has_restricted_projectfiles: false,
        overwrite_conflicts: true,
      });
      expectStatus(res, 200);
      expect(res.body.updated_at).toBe(project.updated_at);
      expect((await p.get(tok.alice, project.id)).body.updated_at).toBe(project.updated_at);
    });

    it('read-only fields in the body are ignored (and do not move updated_at)', async () => {
      const res = await p.patch(tok.alice, project.id, {
        id: '00000000-0000-4000-8000-000000000000',
        created_at: '2000-01-01T00:00:00.000Z',
        updated_at: '2000-01-01T00:00:00.000Z',
        file_storage_bytes: 12345,
        status: 'ok',
        the_qgis_file_name: 'x.qgs',
        user_role: 'reader',
      });
      expectStatus(res, 200);
      expect(res.body).toEqual(project);
    });

    it('read-only fields next to a real change are ignored', async () => {
      const res = await p.patch(tok.alice, project.id, { description: 'same', created_at: '2000-01-01T00:00:00.000Z', file_storage_bytes: 7, status: 'ok', id: '00000000-0000-4000-8000-000000000000' });
      expectStatus(res, 200);
      expect([res.body.id, res.body.created_at, res.body.file_storage_bytes, res.body.status]).toEqual([project.id, project.created_at, 0, 'failed']);
    });

    it('a real change moves updated_at', async () => {
      const res = await p.patch(tok.alice, project.id, { description: 'changed' });
      expectStatus(res, 200);
      expect(res.body.description).toBe('changed');
      expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(project.updated_at));
      expect(res.body.created_at).toBe(project.created_at);
    });
  });

  describe('fields', () => {
    let id: string;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'fields-project')).id;
    });

    it('an SDK-style form PATCH with is_public=True works', async () => {
      const res = await p.patchForm(tok.alice, id, 'is_public=True');
      expectStatus(res, 200);
      expect([res.body.is_public, res.body.private]).toEqual([true, false]);
    });

    it('private wins over is_public', async () => {
      const res = await p.patchForm(tok.alice, id, 'private=1&is_public=1');
      expectStatus(res, 200);
      expect([res.body.is_public, res.body.private]).toEqual([false, true]);
    });

    it('changes the flags from a form body', async () => {
      const res = await p.patchForm(tok.alice, id, 'is_featured=1&is_attachment_download_on_demand=True&has_restricted_projectfiles=true&overwrite_conflicts=0');
      expectStatus(res, 200);
      expect([res.body.is_featured, res.body.is_attachment_download_on_demand, res.body.has_restricted_projectfiles, res.body.overwrite_conflicts]).toEqual([
        true,
        true,
        true,
        false,
      ]);
    });

    it('a bad boolean is 400 validation_error naming the field', async () => {
      expectError(await p.patchForm(tok.alice, id, 'is_featured=maybe'), 400, 'validation_error', 'is_featured');
    });

    it('a description over 100 000 characters is 400', async () => {
      expectError(await p.patch(tok.alice, id, { description: 'd'.repeat(100001) }), 400, 'validation_error', 'description');
    });

    it('a null name is 400 validation_error, not a rename', async () => {
      expectError(await p.patch(tok.alice, id, { name: null }), 400, 'validation_error', 'name');
      expect((await p.get(tok.alice, id)).body.name).toBe('fields-project');
    });

    it('a null description is 400 validation_error, never a 500', async () => {
      expectError(await p.patch(tok.alice, id, { description: null }), 400, 'validation_error', 'description');
    });

    it('project_type may switch from regular to template and back', async () => {
      const template = await p.patch(tok.alice, id, { project_type: 'template' });
      expectStatus(template, 200);
      expect([template.body.project_type, template.body.can_repackage]).toEqual(['template', false]);
      const regular = await p.patch(tok.alice, id, { project_type: 'regular' });
      expectStatus(regular, 200);
      expect([regular.body.project_type, regular.body.can_repackage]).toEqual(['regular', true]);
    });

    it('project_type=shared_datasets on a regular project is 400', async () => {
      expectError(await p.patch(tok.alice, id, { project_type: 'shared_datasets' }), 400, 'validation_error', 'project_type');
      expect((await p.get(tok.alice, id)).body.project_type).toBe('regular');
    });
  });

  describe('renames', () => {
    it('renames', async () => {
      const { id } = await p.project(tok.alice, 'rename-me');
      const res = await p.patch(tok.alice, id, { name: 'renamed' });
      expectStatus(res, 200);
      expect(res.body.name).toBe('renamed');
    });

    it.each(['bad name', '', 'n'.repeat(256), 'a/b'])('a bad name %j is 400 validation_error on name', async (name) => {
      const { id } = await p.project(tok.alice, `bad-rename-${name.length}-${name.charCodeAt(0) || 0}`);
      expectError(await p.patch(tok.alice, id, { name }), 400, 'validation_error', 'name');
    });

    it('a name the owner already has is 400 project_already_exists, and nothing changes', async () => {
      await p.project(tok.alice, 'taken');
      const { id } = await p.project(tok.alice, 'wants-taken');
      expectError(await p.patch(tok.alice, id, { name: 'taken', description: 'also' }), 400, 'project_already_exists');
      const after = (await p.get(tok.alice, id)).body;
      expect([after.name, after.description]).toEqual(['wants-taken', '']);
    });

    it('concurrent renames to one name: exactly one wins, the others get 400 project_already_exists, never 500', async () => {
      const projects = await Promise.all(['race-rename-1', 'race-rename-2', 'race-rename-3', 'race-rename-4'].map((name) => p.project(tok.alice, name)));
      const responses = await Promise.all(projects.map((project) => p.patch(tok.alice, project.id, { name: 'race-renamed' })));
      expect(responses.map((res) => res.status).sort()).toEqual([200, 400, 400, 400]);
      for (const res of responses.filter((r) => r.status === 400)) expect(res.body.code).toBe('project_already_exists');
    });

    it('renaming to another case of an existing name is allowed (case-sensitive)', async () => {
      await p.project(tok.alice, 'casey');
      const { id } = await p.project(tok.alice, 'case-other');
      const res = await p.patch(tok.alice, id, { name: 'Casey' });
      expectStatus(res, 200);
      expect(res.body.name).toBe('Casey');
    });

    it('renaming to shared_datasets makes it the shared_datasets project', async () => {
      const person = await t.createPerson('sdrenamer');
      const other = await p.project(person, 'sibling');
      const { id } = await p.project(person, 'becomes-sd');
      const res = await p.patch(person, id, { name: 'shared_datasets' });
      expectStatus(res, 200);
      expect(res.body).toEqual(
        expect.objectContaining({ name: 'shared_datasets', project_type: 'shared_datasets', is_shared_datasets_project: true, shared_datasets_project_id: id, status: 'ok' }),
      );
      expect((await p.get(person, other.id)).body.shared_datasets_project_id).toBe(id);
    });

    it('renaming a project with a QGIS file to shared_datasets is 400 qgis_project_file_not_allowed', async () => {
      const person = await t.createPerson('qgisowner');
      const { id } = await p.project(person, 'has-qgis');
      await t.sql(`UPDATE projects SET the_qgis_file_name = 'has-qgis.qgs', project_details = '{}' WHERE id = $1`, [id]);
      expectError(await p.patch(person, id, { name: 'shared_datasets' }), 400, 'qgis_project_file_not_allowed');
      const after = (await p.get(person, id)).body;
      expect([after.name, after.project_type, after.status]).toEqual(['has-qgis', 'regular', 'ok']);
    });

    describe('a shared_datasets project', () => {
      let person: string;
      let id: string;
      beforeAll(async () => {
        person = await t.createPerson('sdowner');
        id = (await p.project(person, 'shared_datasets')).id;
      });

      it('cannot be renamed (400 validation_error)', async () => {
        expectError(await p.patch(person, id, { name: 'not-shared' }), 400, 'validation_error', 'name');
        expect((await p.get(person, id)).body.name).toBe('shared_datasets');
      });

      it('cannot become regular (400 validation_error)', async () => {
        expectError(await p.patch(person, id, { project_type: 'regular' }), 400, 'validation_error', 'project_type');
      });

      it('cannot become a template (400 validation_error)', async () => {
        expectError(await p.patch(person, id, { project_type: 'template' }), 400, 'validation_error', 'project_type');
        expect((await p.get(person, id)).body.project_type).toBe('shared_datasets');
      });

      it('still takes other changes', async () => {
        const res = await p.patch(person, id, { description: 'datasets' });
        expectStatus(res, 200);
        expect([res.body.description, res.body.project_type]).toEqual(['datasets', 'shared_datasets']);
      });
    });
  });
});

// =============================================================================================

describe('transfer: PATCH owner (spec §5.6, §6.3)', () => {
  let t: TestApp;
  let p: ReturnType<typeof api>;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    p = api(t);
    for (const name of ['alice', 'bob', 'carol', 'mem', 'onlyacme', 'both', 'outsider']) tok[name] = await t.createPerson(name);
    // acme: owned by alice; beta: owned by carol.
    await makeOrganization(t, 'acme', 'alice', [
      ['mem', 'member'],
      ['onlyacme', 'member'],
      ['both', 'member'],
      ['carol', 'member'],
      ['bob', 'member'],
    ]);
    await makeOrganization(t, 'beta', 'carol', [['both', 'member']]);
    await makeTeam(t, 'acme', 'field');
    await makeTeam(t, 'beta', 'crew');
  });
  afterAll(() => t?.close());

  it('moves the project to another person; the answer shows no role left for the caller', async () => {
    const project = await p.project(tok.alice, 'to-bob', { description: 'keep' });
    const res = await p.patch(tok.alice, project.id, { owner: 'bob' });
    expectStatus(res, 200);
    expect(res.body).toEqual(expect.objectContaining({ id: project.id, owner: 'bob', name: 'to-bob', description: 'keep', user_role: null, user_role_origin: null }));
    expect(Object.keys(res.body)).toEqual(PROJECT_FIELDS);
  });

  it('after the move the new owner is admin and the old owner has no access', async () => {
    const project = await p.project(tok.alice, 'to-bob-2');
    expectStatus(await p.patch(tok.alice, project.id, { owner: 'bob' }), 200);
    const asBob = await p.get(tok.bob, project.id);
    expect([asBob.status, asBob.body.owner, asBob.body.user_role, asBob.body.user_role_origin]).toEqual([200, 'bob', 'admin', 'direct']);
    expectError(await p.get(tok.alice, project.id), 403, 'permission_denied');
  });

  it('a transfer moves updated_at', async () => {
    const project = await p.project(tok.alice, 'to-bob-3');
    await sleep(20);
    const res = await p.patch(tok.alice, project.id, { owner: 'bob' });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(project.updated_at));
  });

  it('moves the project to an organization, with the caller’s role there', async () => {
    const project = await p.project(tok.alice, 'to-acme');
    const res = await p.patch(tok.alice, project.id, { owner: 'acme' });
    expectStatus(res, 200);
    expect([res.body.owner, res.body.user_role, res.body.user_role_origin]).toEqual(['acme', 'admin', 'organization']);
  });

  it('to a team is 400 validation_error on owner, and nothing changes', async () => {
    const project = await p.project(tok.alice, 'to-team');
    expectError(await p.patch(tok.alice, project.id, { owner: '@acme/field' }), 400, 'validation_error', 'owner');
    expect((await p.get(tok.alice, project.id)).body.owner).toBe('alice');
  });

  it('to an unknown account is 400 validation_error on owner', async () => {
    const project = await p.project(tok.alice, 'to-nobody');
    expectError(await p.patch(tok.alice, project.id, { owner: 'nobody-at-all' }), 400, 'validation_error', 'owner');
    expect((await p.get(tok.alice, project.id)).body.owner).toBe('alice');
  });

  it('a target that already has the name is 400 project_already_exists, and nothing changes', async () => {
    await p.project(tok.bob, 'clash');
    const project = await p.project(tok.alice, 'clash');
    expectError(await p.patch(tok.alice, project.id, { owner: 'bob', description: 'moved' }), 400, 'project_already_exists');
    const after = (await p.get(tok.alice, project.id)).body;
    expect([after.owner, after.description, after.updated_at]).toEqual(['alice', '', project.updated_at]);
  });

  it('a target that already has the new name of a renaming transfer is 400 project_already_exists', async () => {
    await p.project(tok.bob, 'clash-new-name');
    const project = await p.project(tok.alice, 'clash-old-name');
    expectError(await p.patch(tok.alice, project.id, { owner: 'bob', name: 'clash-new-name' }), 400, 'project_already_exists');
    const after = (await p.get(tok.alice, project.id)).body;
    expect([after.owner, after.name]).toEqual(['alice', 'clash-old-name']);
  });

  describe('quota', () => {
    let dave: string;
    beforeAll(async () => {
      dave = await t.createPerson('dave');
      await t.sql(`UPDATE accounts SET storage_quota_bytes = 1000 WHERE username = 'dave'`);
      const daves = await p.project(dave, 'daves-data');
      await t.sql(`UPDATE projects SET file_storage_bytes = 600 WHERE id = $1`, [daves.id]);
    });

    it('over the target’s quota is 402 over_quota, and nothing of the PATCH is applied', async () => {
      const project = await p.project(tok.alice, 'too-big', { description: 'before' });
      await t.sql(`UPDATE projects SET file_storage_bytes = 401 WHERE id = $1`, [project.id]);
      const res = await p.patch(tok.alice, project.id, { owner: 'dave', name: 'too-big-renamed', description: 'after', is_public: true });
      expectError(res, 402, 'over_quota');
      const after = (await p.get(tok.alice, project.id)).body;
      expect([after.owner, after.name, after.description, after.is_public, after.updated_at]).toEqual(['alice', 'too-big', 'before', false, project.updated_at]);
    });

    it('concurrent transfers into one target cannot both pass the quota check', async () => {
      await t.createPerson('erin');
      await t.sql(`UPDATE accounts SET storage_quota_bytes = 1000 WHERE username = 'erin'`);
      const projects = await Promise.all(['race-quota-1', 'race-quota-2', 'race-quota-3'].map((name) => p.project(tok.alice, name)));
      await t.sql(`UPDATE projects SET file_storage_bytes = 400 WHERE id = ANY($1::uuid[])`, [projects.map((project) => project.id)]);
      const responses = await Promise.all(projects.map((project) => p.patch(tok.alice, project.id, { owner: 'erin' })));
      expect(responses.map((res) => res.status).sort()).toEqual([200, 200, 402]);
      const [{ used }] = await t.sql<{ used: string }>(`SELECT sum(file_storage_bytes) AS used FROM projects WHERE owner_id = $1`, [await accountId(t, 'erin')]);
      expect(Number(used)).toBe(800);
    });

    it('a project that exactly fills the quota may move', async () => {
      const project = await p.project(tok.alice, 'fits-exactly');
      await t.sql(`UPDATE projects SET file_storage_bytes = 400 WHERE id = $1`, [project.id]);
      const res = await p.patch(tok.alice, project.id, { owner: 'dave' });
      expectStatus(res, 200);
      expect([res.body.owner, res.body.file_storage_bytes]).toEqual(['dave', 400]);
    });
  });

  it('concurrent transfers of same-named projects into one target: one wins, the other is 400, never 500', async () => {
    await t.createPerson('frank');
    const mine = await p.project(tok.alice, 'race-transfer');
    const bobs = await p.project(tok.bob, 'race-transfer');
    const responses = await Promise.all([p.patch(tok.alice, mine.id, { owner: 'frank' }), p.patch(tok.bob, bobs.id, { owner: 'frank' })]);
    expect(responses.map((res) => res.status).sort()).toEqual([200, 400]);
    expect(responses.find((res) => res.status === 400)!.body.code).toBe('project_already_exists');
    expect(await t.sql(`SELECT 1 FROM projects WHERE owner_id = $1 AND name = 'race-transfer'`, [await accountId(t, 'frank')])).toHaveLength(1);
  });

  it('a PATCH with owner, name and description applies all of it', async () => {
    const project = await p.project(tok.alice, 'all-at-once');
    const res = await p.patch(tok.alice, project.id, { owner: 'carol', name: 'all-renamed', description: 'moved and renamed' });
    expectStatus(res, 200);
    expect([res.body.owner, res.body.name, res.body.description]).toEqual(['carol', 'all-renamed', 'moved and renamed']);
    const asCarol = (await p.get(tok.carol, project.id)).body;
    expect([asCarol.owner, asCarol.name, asCarol.description]).toEqual(['carol', 'all-renamed', 'moved and renamed']);
  });

  it('a manager may transfer', async () => {
    const project = await p.project(tok.alice, 'by-manager');
    await addCollaborator(t, project.id, 'mem', 'manager');
    const res = await p.patch(tok.mem, project.id, { owner: 'bob' });
    expectStatus(res, 200);
    expect([res.body.owner, res.body.user_role, res.body.user_role_origin]).toEqual(['bob', 'manager', 'direct']);
  });

  it('an editor may not transfer', async () => {
    const project = await p.project(tok.alice, 'by-editor');
    await addCollaborator(t, project.id, 'mem', 'editor');
    expectError(await p.patch(tok.mem, project.id, { owner: 'mem' }), 403, 'permission_denied');
    expect((await p.get(tok.alice, project.id)).body.owner).toBe('alice');
  });

  describe('collaborators', () => {
    it('moving to a person removes team collaborators and the new owner’s own row; other persons stay', async () => {
      const project = await p.project(tok.alice, 'acme-to-bob', { owner: 'acme' });
      await addCollaborator(t, project.id, '@acme/field', 'editor');
      await addCollaborator(t, project.id, 'mem', 'editor');
      await addCollaborator(t, project.id, 'bob', 'reader');
      const res = await p.patch(tok.alice, project.id, { owner: 'bob' });
      expectStatus(res, 200);
      expect(await collaboratorNames(t, project.id)).toEqual(['mem']);
      const asBob = (await p.get(tok.bob, project.id)).body;
      expect([asBob.user_role, asBob.user_role_origin]).toEqual(['admin', 'direct']);
    });

    it('moving to an organization removes non-member persons and other organizations’ teams; members, the owner and its teams stay', async () => {
      const project = await p.project(tok.alice, 'acme-to-beta', { owner: 'acme' });
      await addCollaborator(t, project.id, '@acme/field', 'editor');
      await addCollaborator(t, project.id, '@beta/crew', 'reporter');
      await addCollaborator(t, project.id, 'onlyacme', 'editor');
      await addCollaborator(t, project.id, 'both', 'editor');
      await addCollaborator(t, project.id, 'carol', 'reader');
      const res = await p.patch(tok.alice, project.id, { owner: 'beta' });
      expectStatus(res, 200);
      expect(res.body.owner).toBe('beta');
      expect([res.body.user_role, res.body.user_role_origin]).toEqual([null, null]);
      expect(await collaboratorNames(t, project.id)).toEqual(['@beta/crew', 'both', 'carol']);
    });

    it('moving a person’s project to an organization removes persons outside it', async () => {
      const project = await p.project(tok.alice, 'alice-to-acme');
      await addCollaborator(t, project.id, 'mem', 'editor');
      await addCollaborator(t, project.id, 'outsider', 'editor');
      expectStatus(await p.patch(tok.alice, project.id, { owner: 'acme' }), 200);
      expect(await collaboratorNames(t, project.id)).toEqual(['mem']);
    });

    it('a refused transfer removes no collaborator', async () => {
      await p.project(tok.bob, 'refused-move');
      const project = await p.project(tok.alice, 'refused-move', { owner: 'acme' });
      await addCollaborator(t, project.id, '@acme/field', 'editor');
      await addCollaborator(t, project.id, 'bob', 'reader');
      expectError(await p.patch(tok.alice, project.id, { owner: 'bob' }), 400, 'project_already_exists');
      expect(await collaboratorNames(t, project.id)).toEqual(['@acme/field', 'bob']);
    });
  });
});

// =============================================================================================

/** The stored objects of a project's thumbnail, through the configured storage driver. */
const storedThumbnails = (t: TestApp, projectId: string): Promise<string[]> => t.storedKeys(`thumbnails/${projectId}/`);
const uploadThumbnail = (t: TestApp, token: string, projectId: string, bytes: Buffer, filename = 'thumbnail.png') =>
  request(t.http).post(`${PROJECTS}${projectId}/thumbnail/`).set(auth(token)).attach('thumbnail', bytes, filename);
const getThumbnail = (t: TestApp, token: string, projectId: string) =>
  request(t.http)
    .get(`/api/v1/files/thumbnails/${projectId}/`)
    .set(auth(token))
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });

describe('DELETE /api/v1/projects/{id}/ (spec §5.8)', () => {
  let t: TestApp;
  let p: ReturnType<typeof api>;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    p = api(t);
    for (const name of ['alice', 'manny', 'eddie', 'orgowner']) tok[name] = await t.createPerson(name);
  });
  afterAll(() => t?.close());

  it('a manager gets 403 and the project stays', async () => {
    const { id } = await p.project(tok.alice, 'manager-cannot');
    await addCollaborator(t, id, 'manny', 'manager');
    expectError(await p.del(tok.manny, id), 403, 'permission_denied');
    expectStatus(await p.get(tok.alice, id), 200);
  });

  it('an editor gets 403', async () => {
    const { id } = await p.project(tok.alice, 'editor-cannot');
    await addCollaborator(t, id, 'eddie', 'editor');
    expectError(await p.del(tok.eddie, id), 403, 'permission_denied');
  });

  describe('by the admin', () => {
    let id: string;
    let res: Res;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'to-delete')).id;
      await addCollaborator(t, id, 'manny', 'manager');
      await addCollaborator(t, id, 'eddie', 'editor');
      const upload = await uploadThumbnail(t, tok.alice, id, TINY_PNG);
      if (upload.status !== 204) throw new Error(`thumbnail upload failed: ${upload.status} ${JSON.stringify(upload.body)}`);
      if ((await storedThumbnails(t, id)).length !== 1) throw new Error('the thumbnail was not stored where the test expects it');
      res = await p.del(tok.alice, id);
    });

    it('answers 204 with an empty body', () => {
      expect(res.status).toBe(204);
      expect(res.text ?? '').toBe('');
    });

    it('the project is gone: GET is 404', async () => {
      expectError(await p.get(tok.alice, id), 404, 'object_not_found');
    });

    it('its collaborator rows are gone', async () => {
      expect(await t.sql(`SELECT 1 FROM project_collaborators WHERE project_id = $1`, [id])).toHaveLength(0);
    });

    it('its thumbnail is removed from storage', async () => {
      expect(await storedThumbnails(t, id)).toEqual([]);
    });

    it('a second DELETE is 404', async () => {
      expectError(await p.del(tok.alice, id), 404, 'object_not_found');
    });
  });

  it('the owner of the owning organization (admin by organization) may delete', async () => {
    await makeOrganization(t, 'delorg', 'orgowner');
    const { id } = await p.project(tok.orgowner, 'org-delete', { owner: 'delorg' });
    expect((await p.del(tok.orgowner, id)).status).toBe(204);
    expect(await t.sql(`SELECT 1 FROM projects WHERE id = $1`, [id])).toHaveLength(0);
  });
});

// =============================================================================================

describe('thumbnails (spec §5.7)', () => {
  let t: TestApp;
  let p: ReturnType<typeof api>;
  const tok: Record<string, string> = {};
  let privateId: string;
  let publicId: string;

  beforeAll(async () => {
    t = await startTestApp();
    p = api(t);
    for (const name of ['alice', 'manny', 'eddie', 'rita', 'reed', 'stranger']) tok[name] = await t.createPerson(name);
    privateId = (await p.project(tok.alice, 'thumbs')).id;
    publicId = (await p.project(tok.alice, 'thumbs-public', { is_public: true })).id;
    await addCollaborator(t, privateId, 'manny', 'manager');
    await addCollaborator(t, privateId, 'eddie', 'editor');
    await addCollaborator(t, privateId, 'rita', 'reporter');
    await addCollaborator(t, privateId, 'reed', 'reader');
  });
  afterAll(() => t?.close());

  describe('who may upload', () => {
    it.each([
      ['the admin', 'alice'],
      ['a manager', 'manny'],
      ['an editor', 'eddie'],
      ['a reporter', 'rita'],
    ])('%s may (204)', async (_, who) => {
      const res = await uploadThumbnail(t, tok[who], privateId, TINY_PNG);
      expect(res.status).toBe(204);
    });

    it('a reader gets 403', async () => {
      expectError(await uploadThumbnail(t, tok.reed, privateId, TINY_PNG), 403, 'permission_denied');
    });

    it('a person whose only role comes from the project being public gets 403', async () => {
      expectError(await uploadThumbnail(t, tok.stranger, publicId, TINY_PNG), 403, 'permission_denied');
    });

    it('a stranger gets 403', async () => {
      expectError(await uploadThumbnail(t, tok.stranger, privateId, TINY_PNG), 403, 'permission_denied');
    });
  });

  describe('content', () => {
    let id: string;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'content-checks')).id;
    });

    it('accepts a real PNG and serves it back as image/png', async () => {
      const image = png(2, 3);
      expect((await uploadThumbnail(t, tok.alice, id, image)).status).toBe(204);
      const res = await getThumbnail(t, tok.alice, id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/png/);
      expect(Buffer.compare(res.body as Buffer, image)).toBe(0);
    });

    it('accepts a real JPEG and serves it back as image/jpeg, whatever its file name', async () => {
      expect((await uploadThumbnail(t, tok.alice, id, TINY_JPEG, 'picture.png')).status).toBe(204);
      const res = await getThumbnail(t, tok.alice, id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/jpeg/);
      expect(Buffer.compare(res.body as Buffer, TINY_JPEG)).toBe(0);
    });

    it('refuses a fake PNG (the signature followed by garbage) with 400', async () => {
      const fake = Buffer.concat([PNG_SIGNATURE, Buffer.from('this is not an image, only its first eight bytes are')]);
      expectError(await uploadThumbnail(t, tok.alice, id, fake), 400, 'validation_error');
    });

    it('refuses a text file named x.png with 400', async () => {
      expectError(await uploadThumbnail(t, tok.alice, id, Buffer.from('just some text\n'), 'x.png'), 400, 'validation_error');
    });

    it('refuses a GIF with 400', async () => {
      const gif = Buffer.from('474946383961010001000000002c00000000010001000002024401003b', 'hex');
      expectError(await uploadThumbnail(t, tok.alice, id, gif, 'x.gif'), 400, 'validation_error');
    });

    it('refuses a PNG 10001 pixels wide with 400', async () => {
      expectError(await uploadThumbnail(t, tok.alice, id, png(10001, 1)), 400, 'validation_error');
    });

    it('refuses a PNG 10001 pixels high with 400', async () => {
      expectError(await uploadThumbnail(t, tok.alice, id, png(1, 10001)), 400, 'validation_error');
    });

    it('accepts a PNG exactly 10000 pixels wide', async () => {
      expect((await uploadThumbnail(t, tok.alice, id, png(10000, 1))).status).toBe(204);
    });

    it('a missing file field is 400', async () => {
      const res = await request(t.http).post(`${PROJECTS}${id}/thumbnail/`).set(auth(tok.alice)).field('note', 'no file here');
      expectError(res, 400, 'validation_error');
    });

    it('a file in another field is 400', async () => {
      const res = await request(t.http).post(`${PROJECTS}${id}/thumbnail/`).set(auth(tok.alice)).attach('image', TINY_PNG, 't.png');
      expectError(res, 400, 'validation_error');
    });

    it('no body at all is 400 (a missing file)', async () => {
      const res = await request(t.http).post(`${PROJECTS}${id}/thumbnail/`).set(auth(tok.alice));
      expectError(res, 400, 'validation_error');
    });

    it('a JSON body is 415 unsupported_media_type', async () => {
      const res = await request(t.http).post(`${PROJECTS}${id}/thumbnail/`).set(auth(tok.alice)).send({ thumbnail: TINY_PNG.toString('base64') });
      expectError(res, 415, 'unsupported_media_type');
    });

    it('a refused upload leaves the stored thumbnail in place', async () => {
      const before = await storedThumbnails(t, id);
      await uploadThumbnail(t, tok.alice, id, Buffer.from('not an image'), 'x.png');
      expect(await storedThumbnails(t, id)).toEqual(before);
    });
  });

  describe('GET /api/v1/files/thumbnails/{id}/', () => {
    let id: string;
    let first: Res;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'served')).id;
      await addCollaborator(t, id, 'reed', 'reader');
      const upload = await uploadThumbnail(t, tok.alice, id, TINY_PNG);
      if (upload.status !== 204) throw new Error(`thumbnail upload failed: ${upload.status} ${JSON.stringify(upload.body)}`);
      first = await getThumbnail(t, tok.alice, id);
    });

    it('answers 200 with the bytes and the real content type', () => {
      expect(first.status).toBe(200);
      expect(first.headers['content-type']).toMatch(/^image\/png/);
      expect(Buffer.compare(first.body as Buffer, TINY_PNG)).toBe(0);
    });

    it('sends an ETag', () => {
      expect(first.headers.etag).toEqual(expect.any(String));
      expect(first.headers.etag.length).toBeGreaterThan(2);
    });

    it('sends Cache-Control: private', () => {
      expect(first.headers['cache-control']).toMatch(/\bprivate\b/);
    });

    it('answers 304 on a matching If-None-Match', async () => {
      const res = await request(t.http).get(`/api/v1/files/thumbnails/${id}/`).set(auth(tok.alice)).set('If-None-Match', first.headers.etag);
      expect(res.status).toBe(304);
    });

    it('answers 200 on a different If-None-Match', async () => {
      const res = await getThumbnail(t, tok.alice, id).set('If-None-Match', '"0123456789abcdef0123456789abcdef"');
      expect(res.status).toBe(200);
    });

    it('a reader may GET', async () => {
      const res = await getThumbnail(t, tok.reed, id);
      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body as Buffer, TINY_PNG)).toBe(0);
    });

    it('a stranger on a private project gets 403', async () => {
      expectError(await request(t.http).get(`/api/v1/files/thumbnails/${id}/`).set(auth(tok.stranger)), 403, 'permission_denied');
    });

    it('anyone may GET the thumbnail of a public project', async () => {
      const upload = await uploadThumbnail(t, tok.alice, publicId, TINY_PNG);
      expect(upload.status).toBe(204);
      expect((await getThumbnail(t, tok.stranger, publicId)).status).toBe(200);
    });

    it('a project without a thumbnail is 404', async () => {
      const { id: bare } = await p.project(tok.alice, 'no-thumbnail');
      expectError(await request(t.http).get(`/api/v1/files/thumbnails/${bare}/`).set(auth(tok.alice)), 404, 'object_not_found');
    });

    it('an unknown project is 404', async () => {
      expectError(await request(t.http).get(`/api/v1/files/thumbnails/00000000-0000-4000-8000-000000000000/`).set(auth(tok.alice)), 404, 'object_not_found');
    });
  });

  describe('re-upload', () => {
    it('replaces the image and removes the previous file from storage', async () => {
      const { id } = await p.project(tok.alice, 'reuploaded');
      expect((await uploadThumbnail(t, tok.alice, id, TINY_PNG)).status).toBe(204);
      expect(await storedThumbnails(t, id)).toHaveLength(1);
      const firstEtag = (await getThumbnail(t, tok.alice, id)).headers.etag;

      const second = png(4, 4);
      expect((await uploadThumbnail(t, tok.alice, id, second)).status).toBe(204);
      expect(await storedThumbnails(t, id)).toHaveLength(1);
      const res = await getThumbnail(t, tok.alice, id);
      expect(Buffer.compare(res.body as Buffer, second)).toBe(0);
      expect(res.headers.etag).not.toBe(firstEtag);

      expect((await uploadThumbnail(t, tok.alice, id, TINY_JPEG, 't.jpg')).status).toBe(204);
      expect(await storedThumbnails(t, id)).toHaveLength(1);
    });
  });
});

// =============================================================================================

describe('thumbnail size limit (THUMBNAIL_MAX_BYTES)', () => {
  let t: TestApp;
  let alice: string;
  let id: string;

  beforeAll(async () => {
    t = await startTestApp({ THUMBNAIL_MAX_BYTES: '1000' });
    alice = await t.createPerson('alice');
    id = (await api(t).project(alice, 'limited')).id;
  });
  afterAll(() => t?.close());

  it('refuses a valid PNG over THUMBNAIL_MAX_BYTES with 400 validation_error, storing nothing', async () => {
    const image = png(1, 1, 1500);
    expect(image.length).toBeGreaterThan(1000);
    expectError(await uploadThumbnail(t, alice, id, image), 400, 'validation_error');
    expect(await storedThumbnails(t, id)).toEqual([]);
    expectError(await request(t.http).get(`/api/v1/files/thumbnails/${id}/`).set(auth(alice)), 404, 'object_not_found');
  });

  it('accepts a valid PNG within THUMBNAIL_MAX_BYTES', async () => {
    const image = png(1, 1, 800);
    expect(image.length).toBeLessThanOrEqual(1000);
    expect((await uploadThumbnail(t, alice, id, image)).status).toBe(204);
  });
});
