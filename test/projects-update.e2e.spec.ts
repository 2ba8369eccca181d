import { startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { addCollaborator, sleep } from './support/kit.js';
import { PROJECT_FIELDS, projectsApi } from './support/projects-fixtures.js';

describe('PATCH / PUT /api/v1/projects/{id}/ (spec §5.6)', () => {
  let t: TestApp;
  let p: ReturnType<typeof projectsApi>;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    p = projectsApi(t);
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
      const res = await p.patch(tok.alice, project.id, {
        description: 'same',
        created_at: '2000-01-01T00:00:00.000Z',
        file_storage_bytes: 7,
        status: 'ok',
        id: '00000000-0000-4000-8000-000000000000',
      });
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
      const res = await p.patchForm(
        tok.alice,
        id,
        'is_featured=1&is_attachment_download_on_demand=True&has_restricted_projectfiles=true&overwrite_conflicts=0',
      );
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
        expect.objectContaining({
          name: 'shared_datasets',
          project_type: 'shared_datasets',
          is_shared_datasets_project: true,
          shared_datasets_project_id: id,
          status: 'ok',
        }),
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
