import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { accountId, addCollaborator, makeOrganization, makeTeam, sleep, TINY_PNG } from './support/kit.js';
import { collaboratorNames, PROJECT_FIELDS, projectsApi, storedThumbnails, uploadThumbnail } from './support/projects-fixtures.js';

type Res = request.Response;

describe('transfer: PATCH owner (spec §5.6, §6.3)', () => {
  let t: TestApp;
  let p: ReturnType<typeof projectsApi>;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    p = projectsApi(t);
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
    expect(res.body).toEqual(
      expect.objectContaining({ id: project.id, owner: 'bob', name: 'to-bob', description: 'keep', user_role: null, user_role_origin: null }),
    );
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
      expect([after.owner, after.name, after.description, after.is_public, after.updated_at]).toEqual([
        'alice',
        'too-big',
        'before',
        false,
        project.updated_at,
      ]);
    });

    it('concurrent transfers into one target cannot both pass the quota check', async () => {
      await t.createPerson('erin');
      await t.sql(`UPDATE accounts SET storage_quota_bytes = 1000 WHERE username = 'erin'`);
      const projects = await Promise.all(['race-quota-1', 'race-quota-2', 'race-quota-3'].map((name) => p.project(tok.alice, name)));
      await t.sql(`UPDATE projects SET file_storage_bytes = 400 WHERE id = ANY($1::uuid[])`, [projects.map((project) => project.id)]);
      const responses = await Promise.all(projects.map((project) => p.patch(tok.alice, project.id, { owner: 'erin' })));
      expect(responses.map((res) => res.status).sort()).toEqual([200, 200, 402]);
      const [{ used }] = await t.sql<{ used: string }>(`SELECT sum(file_storage_bytes) AS used FROM projects WHERE owner_id = $1`, [
        await accountId(t, 'erin'),
      ]);
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
describe('DELETE /api/v1/projects/{id}/ (spec §5.8)', () => {
  let t: TestApp;
  let p: ReturnType<typeof projectsApi>;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    p = projectsApi(t);
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
