import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { accountId, ISO_Z, LOWER_UUID, makeOrganization, makeTeam } from './support/kit.js';
import { PROJECT_FIELDS, PROJECTS, projectsApi } from './support/projects-fixtures.js';

type Res = request.Response;

describe('POST /api/v1/projects/ and the project object (spec §5.1, §5.5)', () => {
  let t: TestApp;
  let p: ReturnType<typeof projectsApi>;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestApp();
    p = projectsApi(t);
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
        expect.objectContaining({
          name: 'form-10',
          description: 'from form',
          is_public: true,
          is_featured: true,
          has_restricted_projectfiles: false,
          overwrite_conflicts: false,
        }),
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
      const res = await p.create(alice, {
        name: 'readonly-create',
        id: '00000000-0000-0000-0000-000000000001',
        file_storage_bytes: 5,
        status: 'ok',
        whatever: 1,
      });
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

    it.each(['with space', 'slash/name', 'ünïcode', 'star*', 'semi;colon', 'new\nline'])(
      'refuses the name %j with 400 validation_error on name',
      async (name) => {
        const res = await p.create(alice, { name });
        expectError(res, 400, 'validation_error', 'name');
      },
    );

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
