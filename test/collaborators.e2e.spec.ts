import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { createProject, ISO_Z, makeOrganization, makeTeam, shareProject, type Role } from './support/kit.js';

/** The collaborator object of spec §6.3, fields in this order. */
const COLLABORATOR_FIELDS = ['project_id', 'collaborator', 'role', 'created_by', 'updated_by', 'created_at', 'updated_at'];
const COLLABORATORS = '/api/v1/collaborators/';
const PROJECTS = '/api/v1/projects/';

/** `@org/team` as one path segment. */
const segment = (username: string) => encodeURIComponent(username);

/** The collaborators routes as one caller uses them (spec §6.3). */
function collaboratorsApi(t: TestApp) {
  const one = (projectId: string, username: string) => `${COLLABORATORS}${projectId}/${segment(username)}/`;
  return {
    list: (token: string, projectId: string, query = '') => request(t.http).get(`${COLLABORATORS}${projectId}/${query}`).set(auth(token)),
    add: (token: string, projectId: string, body: Record<string, unknown>) => request(t.http).post(`${COLLABORATORS}${projectId}/`).set(auth(token)).send(body),
    get: (token: string, projectId: string, username: string) => request(t.http).get(one(projectId, username)).set(auth(token)),
    patch: (token: string, projectId: string, username: string, body: Record<string, unknown>) =>
      request(t.http).patch(one(projectId, username)).set(auth(token)).send(body),
    put: (token: string, projectId: string, username: string, body: Record<string, unknown>) =>
      request(t.http).put(one(projectId, username)).set(auth(token)).send(body),
    del: (token: string, projectId: string, username: string) => request(t.http).delete(one(projectId, username)).set(auth(token)),
    /** Creates a project and returns its id; fails loudly when the create does not answer 201. */
    project: async (token: string, name: string, extra: Record<string, unknown> = {}): Promise<string> =>
      (await createProject(t, token, { name, ...extra })).id,
    /** Adds a collaborator through the API; fails loudly when that does not answer 201. */
    collaborate: (token: string, projectId: string, collaborator: string, role: Role) => shareProject(t, token, projectId, collaborator, role),
  };
}

// =============================================================================================

describe('Collaborators API (spec §6.3)', () => {
  let t: TestApp;
  let c: ReturnType<typeof collaboratorsApi>;
  const tokens: Record<string, string> = {};
  const PERSONS = ['olivia', 'manny', 'adele', 'eddie', 'rita', 'rhea', 'xena', 'carla', 'Bruno', 'dora', 'oscar', 'mona', 'arno', 'cory', 'tina', 'ursula'];

  beforeAll(async () => {
    t = await startTestApp();
    c = collaboratorsApi(t);
    for (const name of PERSONS) tokens[name] = await t.createPerson(name);
    // acme: owner oscar; mona and tina members, arno an admin, cory a creator; team field = mona, tina.
    await makeOrganization(t, 'acme', 'oscar', [
      ['mona', 'member'],
      ['tina', 'member'],
      ['arno', 'admin'],
      ['cory', 'creator'],
    ]);
    await makeTeam(t, 'acme', 'field', ['mona', 'tina']);
    // other: owned by xena, with its own team.
    await makeOrganization(t, 'other', 'xena', [['ursula', 'member']]);
    await makeTeam(t, 'other', 'crew', ['ursula']);
  });
  afterAll(() => t?.close());

  /** A person's project of olivia's with manny manager, adele admin, eddie editor, rita reporter, rhea reader. */
  async function staffedProject(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const id = await c.project(tokens.olivia, name, extra);
    const roles: [string, Role][] = [
      ['manny', 'manager'],
      ['adele', 'admin'],
      ['eddie', 'editor'],
      ['rita', 'reporter'],
      ['rhea', 'reader'],
    ];
    for (const [name, role] of roles) await c.collaborate(tokens.olivia, id, name, role);
    return id;
  }

  describe('adding and reading (owner)', () => {
    it('POST answers 201 with the collaborator object, fields in order, by the caller', async () => {
      const id = await c.project(tokens.olivia, 'add-shape');
      const res = await c.add(tokens.olivia, id, { collaborator: 'carla', role: 'editor' });
      expectStatus(res, 201);
      expect(Object.keys(res.body)).toEqual(COLLABORATOR_FIELDS);
      expect(res.body).toEqual({
        project_id: id,
        collaborator: 'carla',
        role: 'editor',
        created_by: 'olivia',
        updated_by: 'olivia',
        created_at: expect.stringMatching(ISO_Z),
        updated_at: expect.stringMatching(ISO_Z),
      });
    });

    it('finds the account case-insensitively and answers its stored name', async () => {
      const id = await c.project(tokens.olivia, 'add-case');
      const res = await c.add(tokens.olivia, id, { collaborator: 'BRUNO', role: 'reader' });
      expectStatus(res, 201);
      expect(res.body.collaborator).toBe('Bruno');
    });

    it('defaults the role to reader', async () => {
      const id = await c.project(tokens.olivia, 'add-default-role');
      const res = await c.add(tokens.olivia, id, { collaborator: 'carla' });
      expectStatus(res, 201);
      expect(res.body.role).toBe('reader');
    });

    it('takes form and multipart bodies', async () => {
      const id = await c.project(tokens.olivia, 'add-forms');
      const form = await request(t.http).post(`${COLLABORATORS}${id}/`).set(auth(tokens.olivia)).type('form').send('collaborator=carla&role=reporter');
      expectStatus(form, 201);
      expect(form.body).toMatchObject({ collaborator: 'carla', role: 'reporter' });
      const multipart = await request(t.http).post(`${COLLABORATORS}${id}/`).set(auth(tokens.olivia)).field('collaborator', 'dora').field('role', 'manager');
      expectStatus(multipart, 201);
      expect(multipart.body).toMatchObject({ collaborator: 'dora', role: 'manager' });
      const patch = await request(t.http).patch(`${COLLABORATORS}${id}/dora/`).set(auth(tokens.olivia)).type('form').send('role=editor');
      expectStatus(patch, 200);
      expect(patch.body.role).toBe('editor');
    });

    it('refuses a role that is not a project role: 400 naming role (POST, PATCH, PUT)', async () => {
      const id = await c.project(tokens.olivia, 'bad-role');
      expectError(await c.add(tokens.olivia, id, { collaborator: 'carla', role: 'owner' }), 400, 'validation_error', 'role');
      expectError(await c.add(tokens.olivia, id, { collaborator: 'carla', role: null }), 400, 'validation_error', 'role');
      await c.collaborate(tokens.olivia, id, 'carla', 'reader');
      expectError(await c.patch(tokens.olivia, id, 'carla', { role: 'ADMIN' }), 400, 'validation_error', 'role');
      expectError(await c.put(tokens.olivia, id, 'carla', { role: 'superuser' }), 400, 'validation_error', 'role');
      expect((await c.get(tokens.olivia, id, 'carla')).body.role).toBe('reader');
    });

    it('requires collaborator: 400 naming it', async () => {
      const id = await c.project(tokens.olivia, 'no-collaborator');
      expectError(await c.add(tokens.olivia, id, { role: 'reader' }), 400, 'validation_error', 'collaborator');
      expectError(await c.add(tokens.olivia, id, { collaborator: '' }), 400, 'validation_error', 'collaborator');
    });

    it('lists a bare array ordered by name case-insensitively, paginated with limit/offset', async () => {
      const id = await c.project(tokens.olivia, 'list-order');
      expect((await c.list(tokens.olivia, id)).body).toEqual([]);
      for (const name of ['dora', 'Bruno', 'carla', 'adele']) await c.collaborate(tokens.olivia, id, name, 'reader');

      const all = await c.list(tokens.olivia, id);
      expectStatus(all, 200);
      expect(Array.isArray(all.body)).toBe(true);
      expect(all.body.map((row: { collaborator: string }) => row.collaborator)).toEqual(['adele', 'Bruno', 'carla', 'dora']);
      expect(Object.keys(all.body[0])).toEqual(COLLABORATOR_FIELDS);
      expect(all.headers['x-total-count']).toBeUndefined();

      const first = await c.list(tokens.olivia, id, '?limit=3');
      expect(first.body.map((row: { collaborator: string }) => row.collaborator)).toEqual(['adele', 'Bruno', 'carla']);
      expect(first.headers['x-total-count']).toBe('4');
      expect(first.headers['x-next-page']).toMatch(new RegExp(`/api/v1/collaborators/${id}/\\?limit=3&offset=3$`));
      const second = await c.list(tokens.olivia, id, '?limit=3&offset=3');
      expect(second.body.map((row: { collaborator: string }) => row.collaborator)).toEqual(['dora']);
      expect(second.headers['x-next-page']).toBeUndefined();
      expect(second.headers['x-previous-page']).toMatch(/\?limit=3$/);
      expectError(await c.list(tokens.olivia, id, '?limit=-1'), 400, 'validation_error', 'limit');
    });

    it('answers with and without the trailing slash', async () => {
      const id = await c.project(tokens.olivia, 'no-slash');
      await c.collaborate(tokens.olivia, id, 'carla', 'reader');
      const list = await request(t.http).get(`${COLLABORATORS}${id}`).set(auth(tokens.olivia));
      expectStatus(list, 200);
      expect(list.body).toHaveLength(1);
      expectStatus(await request(t.http).get(`${COLLABORATORS}${id}/carla`).set(auth(tokens.olivia)), 200);
      expectStatus(await request(t.http).post(`${COLLABORATORS}${id}`).set(auth(tokens.olivia)).send({ collaborator: 'dora' }), 201);
    });

    it('GET one finds the username case-insensitively', async () => {
      const id = await c.project(tokens.olivia, 'get-one');
      await c.collaborate(tokens.olivia, id, 'Bruno', 'editor');
      for (const name of ['Bruno', 'bruno', 'BRUNO']) {
        const res = await c.get(tokens.olivia, id, name);
        expectStatus(res, 200);
        expect(Object.keys(res.body)).toEqual(COLLABORATOR_FIELDS);
        expect(res.body).toMatchObject({ project_id: id, collaborator: 'Bruno', role: 'editor', created_by: 'olivia', updated_by: 'olivia' });
      }
    });

    it('answers 404 object_not_found for an account that is not a collaborator, on every method', async () => {
      const id = await c.project(tokens.olivia, 'not-a-collaborator');
      await c.collaborate(tokens.olivia, id, 'carla', 'reader');
      for (const name of ['dora', 'nobody-at-all', 'acme', '@acme/field']) {
        expectError(await c.get(tokens.olivia, id, name), 404, 'object_not_found');
        expectError(await c.patch(tokens.olivia, id, name, { role: 'editor' }), 404, 'object_not_found');
        expectError(await c.put(tokens.olivia, id, name, { role: 'editor' }), 404, 'object_not_found');
        expectError(await c.del(tokens.olivia, id, name), 404, 'object_not_found');
      }
    });

    it('answers 400 for a malformed project id and 404 for an unknown project', async () => {
      expectError(await c.list(tokens.olivia, 'not-a-uuid'), 400, 'validation_error', 'projectId');
      expectError(await c.get(tokens.olivia, 'not-a-uuid', 'carla'), 400, 'validation_error', 'projectId');
      const unknown = '00000000-0000-4000-8000-000000000000';
      expectError(await c.list(tokens.olivia, unknown), 404, 'object_not_found');
      expectError(await c.add(tokens.olivia, unknown, { collaborator: 'carla' }), 404, 'object_not_found');
      expectError(await c.del(tokens.olivia, unknown, 'carla'), 404, 'object_not_found');
    });

    it('accepts an upper-case project id', async () => {
      const id = await c.project(tokens.olivia, 'upper-id');
      const res = await c.add(tokens.olivia, id.toUpperCase(), { collaborator: 'carla' });
      expectStatus(res, 201);
      expect(res.body.project_id).toBe(id);
      expect((await c.list(tokens.olivia, id.toUpperCase())).body).toHaveLength(1);
    });

    it('answers 405 for a method the route does not have', async () => {
      const id = await c.project(tokens.olivia, 'method-not-allowed');
      expectError(await request(t.http).delete(`${COLLABORATORS}${id}/`).set(auth(tokens.olivia)), 405, 'method_not_allowed');
      expectError(await request(t.http).post(`${COLLABORATORS}${id}/carla/`).set(auth(tokens.olivia)).send({}), 405, 'method_not_allowed');
    });

    it('answers 401 without credentials', async () => {
      const id = await c.project(tokens.olivia, 'anonymous');
      expectError(await request(t.http).get(`${COLLABORATORS}${id}/`), 401, 'not_authenticated');
    });
  });

  describe('changing and removing', () => {
    it('PATCH changes the role; updated_by becomes the caller, created_by stays', async () => {
      const id = await staffedProject('patch-role');
      await c.collaborate(tokens.olivia, id, 'carla', 'reader');
      const before = (await c.get(tokens.olivia, id, 'carla')).body;
      const res = await c.patch(tokens.manny, id, 'carla', { role: 'editor' });
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual(COLLABORATOR_FIELDS);
      expect(res.body).toMatchObject({ collaborator: 'carla', role: 'editor', created_by: 'olivia', updated_by: 'manny', created_at: before.created_at });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at));
      expect((await c.get(tokens.olivia, id, 'carla')).body).toEqual(res.body);
    });

    it('PATCH without a role changes nothing', async () => {
      const id = await c.project(tokens.olivia, 'patch-empty');
      await c.collaborate(tokens.olivia, id, 'carla', 'reporter');
      const before = (await c.get(tokens.olivia, id, 'carla')).body;
      const res = await c.patch(tokens.olivia, id, 'carla', {});
      expectStatus(res, 200);
      expect(res.body).toEqual(before);
    });

    it('PUT requires role (400) and otherwise changes it like PATCH', async () => {
      const id = await c.project(tokens.olivia, 'put-role');
      await c.collaborate(tokens.olivia, id, 'carla', 'reader');
      expectError(await c.put(tokens.olivia, id, 'carla', {}), 400, 'validation_error', 'role');
      const res = await c.put(tokens.olivia, id, 'CARLA', { role: 'manager' });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ collaborator: 'carla', role: 'manager', updated_by: 'olivia' });
    });

    it('DELETE answers 204 with an empty body, and the collaborator is gone', async () => {
      const id = await c.project(tokens.olivia, 'delete-one');
      await c.collaborate(tokens.olivia, id, 'carla', 'editor');
      await c.collaborate(tokens.olivia, id, 'dora', 'editor');
      const res = await c.del(tokens.olivia, id, 'Carla');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await c.get(tokens.olivia, id, 'carla'), 404, 'object_not_found');
      expect((await c.list(tokens.olivia, id)).body.map((row: { collaborator: string }) => row.collaborator)).toEqual(['dora']);
      expectError(await c.del(tokens.olivia, id, 'carla'), 404, 'object_not_found');
    });

    it('created_by and updated_by are null once those accounts are gone', async () => {
      const temporary = await t.createPerson('temporary');
      const id = await c.project(tokens.olivia, 'gone-creator');
      await c.collaborate(tokens.olivia, id, 'temporary', 'manager');
      await c.collaborate(temporary, id, 'carla', 'reader');
      await t.sql(`DELETE FROM accounts WHERE username = 'temporary'`);
      const res = await c.get(tokens.olivia, id, 'carla');
      expect(res.body).toMatchObject({ collaborator: 'carla', created_by: null, updated_by: null });
    });
  });

  describe('who may manage collaborators (spec §6.4)', () => {
    it('editors, reporters, readers, outsiders and staff get 403 permission_denied, for reading too', async () => {
      const id = await staffedProject('forbidden', { is_public: true });
      const admin = await t.adminToken();
      for (const token of [tokens.eddie, tokens.rita, tokens.rhea, tokens.xena, admin]) {
        expectError(await c.list(token, id), 403, 'permission_denied');
        expectError(await c.get(token, id, 'eddie'), 403, 'permission_denied');
        expectError(await c.add(token, id, { collaborator: 'carla' }), 403, 'permission_denied');
        expectError(await c.patch(token, id, 'rhea', { role: 'editor' }), 403, 'permission_denied');
        expectError(await c.put(token, id, 'rhea', { role: 'editor' }), 403, 'permission_denied');
        expectError(await c.del(token, id, 'rhea'), 403, 'permission_denied');
      }
      expect((await c.get(tokens.olivia, id, 'rhea')).body.role).toBe('reader');
      expectError(await c.get(tokens.olivia, id, 'carla'), 404, 'object_not_found');
    });

    it('a manager reads, adds, changes and removes non-admin collaborators', async () => {
      const id = await staffedProject('manager-can');
      expectStatus(await c.list(tokens.manny, id), 200);
      expectStatus(await c.get(tokens.manny, id, 'adele'), 200);
      const added = await c.add(tokens.manny, id, { collaborator: 'carla', role: 'manager' });
      expectStatus(added, 201);
      expect(added.body).toMatchObject({ role: 'manager', created_by: 'manny', updated_by: 'manny' });
      expectStatus(await c.patch(tokens.manny, id, 'eddie', { role: 'reporter' }), 200);
      expectStatus(await c.put(tokens.manny, id, 'rita', { role: 'manager' }), 200);
      expect((await c.del(tokens.manny, id, 'rhea')).status).toBe(204);
    });

    it('a manager cannot grant admin on POST: 403', async () => {
      const id = await staffedProject('manager-post-admin');
      expectError(await c.add(tokens.manny, id, { collaborator: 'carla', role: 'admin' }), 403, 'permission_denied');
      expectError(await c.get(tokens.olivia, id, 'carla'), 404, 'object_not_found');
    });

    it('a manager cannot grant admin on PATCH or PUT: 403', async () => {
      const id = await staffedProject('manager-patch-admin');
      expectError(await c.patch(tokens.manny, id, 'eddie', { role: 'admin' }), 403, 'permission_denied');
      expectError(await c.put(tokens.manny, id, 'eddie', { role: 'admin' }), 403, 'permission_denied');
      expectError(await c.patch(tokens.manny, id, 'manny', { role: 'admin' }), 403, 'permission_denied');
      expect((await c.get(tokens.olivia, id, 'eddie')).body.role).toBe('editor');
      expect((await c.get(tokens.olivia, id, 'manny')).body.role).toBe('manager');
    });

    it('a manager cannot change an admin collaborator: 403', async () => {
      const id = await staffedProject('manager-change-admin');
      expectError(await c.patch(tokens.manny, id, 'adele', { role: 'reader' }), 403, 'permission_denied');
      expectError(await c.put(tokens.manny, id, 'adele', { role: 'manager' }), 403, 'permission_denied');
      const adele = (await c.get(tokens.olivia, id, 'adele')).body;
      expect(adele).toMatchObject({ role: 'admin', updated_by: 'olivia' });
    });

    it('a manager cannot remove an admin collaborator: 403', async () => {
      const id = await staffedProject('manager-remove-admin');
      expectError(await c.del(tokens.manny, id, 'adele'), 403, 'permission_denied');
      expect((await c.get(tokens.olivia, id, 'adele')).body.role).toBe('admin');
    });

    it('an admin collaborator grants admin, changes and removes admins', async () => {
      const id = await staffedProject('admin-can');
      const added = await c.add(tokens.adele, id, { collaborator: 'carla', role: 'admin' });
      expectStatus(added, 201);
      expect(added.body).toMatchObject({ role: 'admin', created_by: 'adele' });
      expect((await c.patch(tokens.adele, id, 'manny', { role: 'admin' })).body).toMatchObject({ role: 'admin', updated_by: 'adele' });
      expect((await c.patch(tokens.adele, id, 'carla', { role: 'reader' })).body.role).toBe('reader');
      expect((await c.del(tokens.adele, id, 'manny')).status).toBe(204);
      // …and the promoted manager, now an admin, may do the same.
      await c.collaborate(tokens.adele, id, 'dora', 'admin');
      expect((await c.del(tokens.adele, id, 'dora')).status).toBe(204);
    });

    it("an organization's owner and admin members manage its projects' collaborators; plain members do not", async () => {
      const id = await c.project(tokens.oscar, 'org-managed', { owner: 'acme' });
      expectStatus(await c.add(tokens.arno, id, { collaborator: 'mona', role: 'admin' }), 201);
      expectStatus(await c.list(tokens.oscar, id), 200);
      expectStatus(await c.patch(tokens.arno, id, 'mona', { role: 'editor' }), 200);
      expectError(await c.list(tokens.tina, id), 403, 'permission_denied');
      // mona is a direct editor now: still not enough.
      expectError(await c.list(tokens.mona, id), 403, 'permission_denied');
    });
  });

  describe('eligibility (400 validation_error on collaborator)', () => {
    it('the project owner cannot be a collaborator', async () => {
      const id = await c.project(tokens.olivia, 'owner-collaborator');
      expectError(await c.add(tokens.olivia, id, { collaborator: 'olivia', role: 'admin' }), 400, 'validation_error', 'collaborator');
      expectError(await c.add(tokens.olivia, id, { collaborator: 'OLIVIA' }), 400, 'validation_error', 'collaborator');
      expect((await c.list(tokens.olivia, id)).body).toEqual([]);
    });

    it('an unknown account is 400', async () => {
      const id = await c.project(tokens.olivia, 'unknown-account');
      expectError(await c.add(tokens.olivia, id, { collaborator: 'nobody-at-all' }), 400, 'validation_error', 'collaborator');
      expectError(await c.add(tokens.olivia, id, { collaborator: '@acme/nope' }), 400, 'validation_error', 'collaborator');
    });

    it('organizations cannot be collaborators (on a person’s project or an organization’s)', async () => {
      const own = await c.project(tokens.olivia, 'org-collaborator');
      expectError(await c.add(tokens.olivia, own, { collaborator: 'acme' }), 400, 'validation_error', 'collaborator');
      const orgs = await c.project(tokens.oscar, 'org-collaborator', { owner: 'acme' });
      expectError(await c.add(tokens.oscar, orgs, { collaborator: 'other' }), 400, 'validation_error', 'collaborator');
      expectError(await c.add(tokens.oscar, orgs, { collaborator: 'acme' }), 400, 'validation_error', 'collaborator');
    });

    it('teams cannot collaborate on a person’s project', async () => {
      const id = await c.project(tokens.oscar, 'team-on-person');
      expectError(await c.add(tokens.oscar, id, { collaborator: '@acme/field' }), 400, 'validation_error', 'collaborator');
      expect((await c.list(tokens.oscar, id)).body).toEqual([]);
    });

    it('on an organization’s project a person must be its owner or a member', async () => {
      const id = await c.project(tokens.oscar, 'org-persons', { owner: 'acme' });
      expectError(await c.add(tokens.oscar, id, { collaborator: 'carla' }), 400, 'validation_error', 'collaborator');
      expectError(await c.add(tokens.oscar, id, { collaborator: 'xena' }), 400, 'validation_error', 'collaborator');
      expectStatus(await c.add(tokens.oscar, id, { collaborator: 'mona', role: 'editor' }), 201);
      expectStatus(await c.add(tokens.oscar, id, { collaborator: 'cory', role: 'manager' }), 201);
      expectStatus(await c.add(tokens.arno, id, { collaborator: 'oscar', role: 'reader' }), 201);
      expect((await c.list(tokens.oscar, id)).body.map((row: { collaborator: string }) => row.collaborator)).toEqual(['cory', 'mona', 'oscar']);
    });

    it('on an organization’s project a team must belong to that organization', async () => {
      const id = await c.project(tokens.oscar, 'org-teams', { owner: 'acme' });
      expectError(await c.add(tokens.oscar, id, { collaborator: '@other/crew' }), 400, 'validation_error', 'collaborator');
      const res = await c.add(tokens.oscar, id, { collaborator: '@ACME/Field', role: 'reporter' });
      expectStatus(res, 201);
      expect(res.body).toMatchObject({ collaborator: '@acme/field', role: 'reporter', created_by: 'oscar' });
      expect((await c.list(tokens.oscar, id)).body.map((row: { collaborator: string }) => row.collaborator)).toEqual(['@acme/field']);
    });

    it('an existing collaborator is 400, whatever the case of the name', async () => {
      const id = await c.project(tokens.olivia, 'existing');
      await c.collaborate(tokens.olivia, id, 'carla', 'reader');
      expectError(await c.add(tokens.olivia, id, { collaborator: 'carla', role: 'editor' }), 400, 'validation_error', 'collaborator');
      expectError(await c.add(tokens.olivia, id, { collaborator: 'CARLA' }), 400, 'validation_error', 'collaborator');
      expect((await c.get(tokens.olivia, id, 'carla')).body.role).toBe('reader');
    });

    it('concurrent adds of the same account: exactly one 201, the others 400, never a 500', async () => {
      const id = await c.project(tokens.olivia, 'race');
      const answers = await Promise.all(Array.from({ length: 8 }, () => c.add(tokens.olivia, id, { collaborator: 'dora', role: 'editor' })));
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([201, 400, 400, 400, 400, 400, 400, 400]);
      for (const res of answers.filter((r) => r.status === 400)) expectError(res, 400, 'validation_error', 'collaborator');
      expect((await c.list(tokens.olivia, id)).body).toHaveLength(1);
    });
  });

  describe('teams and the caller’s role (spec §6.2)', () => {
    it('addresses a team collaborator as %40org%2Fteam on GET, PATCH, PUT and DELETE', async () => {
      const id = await c.project(tokens.oscar, 'team-paths', { owner: 'acme' });
      await c.collaborate(tokens.oscar, id, '@acme/field', 'reader');
      const path = `${COLLABORATORS}${id}/%40acme%2Ffield/`;
      const got = await request(t.http).get(path).set(auth(tokens.oscar));
      expectStatus(got, 200);
      expect(got.body).toMatchObject({ collaborator: '@acme/field', role: 'reader' });
      expectStatus(await request(t.http).get(`${COLLABORATORS}${id}/%40ACME%2FFIELD`).set(auth(tokens.oscar)), 200);
      expect((await request(t.http).patch(path).set(auth(tokens.oscar)).send({ role: 'editor' })).body.role).toBe('editor');
      expect((await request(t.http).put(path).set(auth(tokens.oscar)).send({ role: 'manager' })).body.role).toBe('manager');
      expect((await request(t.http).delete(path).set(auth(tokens.oscar))).status).toBe(204);
      expectError(await request(t.http).get(path).set(auth(tokens.oscar)), 404, 'object_not_found');
    });

    it('a team collaborator’s role shows for its members on GET /projects/{id}/ with origin team', async () => {
      const id = await c.project(tokens.oscar, 'team-role', { owner: 'acme' });
      expectError(await request(t.http).get(`${PROJECTS}${id}/`).set(auth(tokens.tina)), 403, 'permission_denied');
      await c.collaborate(tokens.oscar, id, '@acme/field', 'editor');
      const project = await request(t.http).get(`${PROJECTS}${id}/`).set(auth(tokens.tina));
      expectStatus(project, 200);
      expect(project.body).toMatchObject({ user_role: 'editor', user_role_origin: 'team' });
      // A change of the team's role shows at once; removing the team takes the access away.
      await c.patch(tokens.oscar, id, '@acme/field', { role: 'manager' });
      expect((await request(t.http).get(`${PROJECTS}${id}/`).set(auth(tokens.tina))).body).toMatchObject({ user_role: 'manager', user_role_origin: 'team' });
      // …a team manager manages collaborators, too.
      expectStatus(await c.list(tokens.tina, id), 200);
      await c.del(tokens.oscar, id, '@acme/field');
      expectError(await request(t.http).get(`${PROJECTS}${id}/`).set(auth(tokens.tina)), 403, 'permission_denied');
    });

    it('a direct collaborator sees their role with origin direct', async () => {
      const id = await c.project(tokens.olivia, 'direct-role');
      expectError(await request(t.http).get(`${PROJECTS}${id}/`).set(auth(tokens.carla)), 403, 'permission_denied');
      await c.collaborate(tokens.olivia, id, 'carla', 'reporter');
      const project = await request(t.http).get(`${PROJECTS}${id}/`).set(auth(tokens.carla));
      expectStatus(project, 200);
      expect(project.body).toMatchObject({ user_role: 'reporter', user_role_origin: 'direct' });
      await c.patch(tokens.olivia, id, 'carla', { role: 'manager' });
      expect((await request(t.http).get(`${PROJECTS}${id}/`).set(auth(tokens.carla))).body).toMatchObject({ user_role: 'manager', user_role_origin: 'direct' });
    });
  });
});
