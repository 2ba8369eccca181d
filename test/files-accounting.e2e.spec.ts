import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { qgs, qgz } from './support/qgis-files.js';
import { eventually, ISO_Z, md5, sleep, type Role } from './support/kit.js';
import { filesApi, fileRowCount, listen, PROJECTS, storedFiles, storedFilesOnceEmpty, versionKeys } from './support/files-fixtures.js';

type Res = request.Response;

describe('accounting on the project (spec §5.1, §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let owner: string;

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = filesApi(t);
    owner = await t.createPerson('olga');
  });
  afterAll(() => t?.close());

  describe('file_storage_bytes and storage_used_bytes', () => {
    let first: string;
    let second: string;
    beforeAll(async () => {
      first = (await f.project(owner, 'bytes-one')).id;
      second = (await f.project(owner, 'bytes-two')).id;
    });

    it('starts at 0', async () => {
      expect((await f.getProject(owner, first)).file_storage_bytes).toBe(0);
      expect((await f.me(owner)).storage_used_bytes).toBe(0);
    });

    it('is the sum of every kept version of every file', async () => {
      await f.put(owner, first, 'a.bin', randomBytes(10));
      await f.put(owner, first, 'a.bin', randomBytes(20));
      await f.put(owner, first, 'dir/b.bin', randomBytes(5));
      expect((await f.getProject(owner, first)).file_storage_bytes).toBe(35);
    });

    it('the owner’s storage_used_bytes is the sum over their projects', async () => {
      await f.put(owner, second, 'c.bin', randomBytes(100));
      expect((await f.getProject(owner, second)).file_storage_bytes).toBe(100);
      expect((await f.me(owner)).storage_used_bytes).toBe(135);
    });

    it('goes down on delete, and storage_used_bytes follows', async () => {
      expectStatus(await f.remove(owner, first, 'a.bin'), 204);
      expect((await f.getProject(owner, first)).file_storage_bytes).toBe(5);
      expect((await f.me(owner)).storage_used_bytes).toBe(105);
    });
  });

  describe('timestamps, the QGIS file and status', () => {
    let projectId: string;
    let previous: Record<string, any>;
    const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

    beforeAll(async () => {
      projectId = (await f.project(owner, 'qgis-project')).id;
    });
    const step = async () => {
      await sleep(5);
    };

    it('a new project has no data timestamps, no QGIS file and status failed', async () => {
      previous = await f.getProject(owner, projectId);
      expect(previous).toEqual(
        expect.objectContaining({ data_last_updated_at: null, restricted_data_last_updated_at: null, the_qgis_file_name: null, status: 'failed' }),
      );
    });

    it('uploading data.gpkg sets data_last_updated_at but not restricted_data_last_updated_at', async () => {
      await step();
      await f.put(owner, projectId, 'data.gpkg', Buffer.from('gpkg'));
      const now = await f.getProject(owner, projectId);
      expect(now.data_last_updated_at).toMatch(ISO_Z);
      expect(Math.abs(Date.parse(now.data_last_updated_at) - Date.now())).toBeLessThan(60_000);
      expect(now.restricted_data_last_updated_at).toBeNull();
      expect([now.the_qgis_file_name, now.status]).toEqual([null, 'failed']);
      previous = now;
    });

    it('the first .qgs sets the_qgis_file_name, both timestamps, and status busy (it queued processing, §8; no worker runs here)', async () => {
      await step();
      await f.put(owner, projectId, 'project.qgs', qgs());
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual(['project.qgs', 'busy']);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(now.restricted_data_last_updated_at).toMatch(ISO_Z);
      previous = now;
    });

    it.each(['project.qgd', 'project.qml', 'project_attachments.zip'])('uploading %s moves restricted_data_last_updated_at', async (name) => {
      await step();
      await f.put(owner, projectId, name, Buffer.from(name));
      const now = await f.getProject(owner, projectId);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      previous = now;
    });

    it.each(['data.gpkg', 'other.qml', 'project.qgd.bak', 'sub/project.qml'])('uploading %s moves only data_last_updated_at', async (name) => {
      await step();
      await f.put(owner, projectId, name, Buffer.from('more data'));
      const now = await f.getProject(owner, projectId);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(now.restricted_data_last_updated_at).toBe(previous.restricted_data_last_updated_at);
      previous = now;
    });

    it('re-uploading the same QGIS file is fine', async () => {
      await step();
      const res = await f.upload(owner, projectId, 'project.qgs', qgs('3.40.6-Bratislava'));
      expectStatus(res, 201);
      expect(res.body.versions).toHaveLength(2);
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual(['project.qgs', 'busy']);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      previous = now;
    });

    it.each(['second.qgs', 'project.qgz', 'sub/other.QGZ'])('a second QGIS file (%s) is 400 multiple_qgis_project_files and keeps nothing', async (name) => {
      const keysBefore = await versionKeys(t, projectId);
      const res = await f.upload(owner, projectId, name, qgs());
      expectError(res, 400, 'multiple_qgis_project_files');
      expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = $2`, [projectId, name])).toEqual([]);
      expect(
        await eventually(
          () => storedFiles(t, projectId),
          (files) => files.length === keysBefore.length,
        ),
      ).toEqual(keysBefore);
      const now = await f.getProject(owner, projectId);
      expect(now).toEqual(previous);
    });

    it('deleting a non-restricted file moves only data_last_updated_at', async () => {
      await step();
      expectStatus(await f.remove(owner, projectId, 'data.gpkg'), 204);
      const now = await f.getProject(owner, projectId);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(now.restricted_data_last_updated_at).toBe(previous.restricted_data_last_updated_at);
      previous = now;
    });

    it('deleting a restricted file moves restricted_data_last_updated_at', async () => {
      await step();
      expectStatus(await f.remove(owner, projectId, 'project.qml'), 204);
      const now = await f.getProject(owner, projectId);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      previous = now;
    });

    it('deleting the QGIS file clears the_qgis_file_name and status goes back to failed', async () => {
      await step();
      // The processing the uploads queued has ended (no worker runs here): else the project stays busy.
      await t.sql(`UPDATE jobs SET status = 'finished', finished_at = now() WHERE project_id = $1`, [projectId]);
      expectStatus(await f.remove(owner, projectId, 'project.qgs'), 204);
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual([null, 'failed']);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      previous = now;
    });

    it('after that, another QGIS file may become the project’s', async () => {
      const res = await f.upload(owner, projectId, 'renamed.qgz', qgz('renamed'));
      expectStatus(res, 201);
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual(['renamed.qgz', 'busy']);
    });

    it('the same facts show in the projects list', async () => {
      const res = await request(t.http).get(PROJECTS).set(auth(owner));
      expectStatus(res, 200);
      const listed = res.body.find((p: any) => p.id === projectId);
      expect(listed).toEqual(
        expect.objectContaining({
          the_qgis_file_name: 'renamed.qgz',
          status: 'busy',
          file_storage_bytes: (await f.getProject(owner, projectId)).file_storage_bytes,
        }),
      );
    });
  });

  describe('a shared_datasets project', () => {
    let projectId: string;
    beforeAll(async () => {
      projectId = (await f.project(owner, 'shared_datasets')).id;
    });

    it.each(['project.qgs', 'project.qgz'])('refuses a QGIS file (%s) with 400 qgis_project_file_not_allowed and keeps nothing', async (name) => {
      expectError(await f.upload(owner, projectId, name, qgs()), 400, 'qgis_project_file_not_allowed');
      expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
      expect(await storedFilesOnceEmpty(t, projectId)).toEqual([]);
    });

    it('takes other files; status stays ok', async () => {
      expectStatus(await f.upload(owner, projectId, 'shared.gpkg', Buffer.from('data')), 201);
      const project = await f.getProject(owner, projectId);
      expect([project.status, project.the_qgis_file_name, project.file_storage_bytes]).toEqual(['ok', null, 4]);
    });
  });
});

// =============================================================================================

describe('restricted files (has_restricted_projectfiles, spec §5.1, §6.4, §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let owner: string;
  const tokens: Record<string, string> = {};
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = filesApi(t);
    owner = await t.createPerson('olga');
    projectId = (await f.project(owner, 'restricted', { has_restricted_projectfiles: true })).id;
    for (const [name, role] of [
      ['adam', 'admin'],
      ['mona', 'manager'],
      ['eddie', 'editor'],
      ['rita', 'reporter'],
    ] as [string, Role][]) {
      tokens[role] = await t.createPerson(name);
      await f.grant(owner, projectId, name, role);
    }
  });
  afterAll(() => t?.close());

  it.each(['editor', 'reporter'])('a %s may not upload the project’s first .qgs (it counts as restricted)', async (role) => {
    expectError(await f.upload(tokens[role], projectId, 'project.qgs', qgs()), 403, 'permission_denied');
    expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
    expect(await storedFilesOnceEmpty(t, projectId)).toEqual([]);
  });

  it('the owner uploads the QGIS file', async () => {
    await f.put(owner, projectId, 'project.qgs', qgs());
    expect((await f.getProject(owner, projectId)).the_qgis_file_name).toBe('project.qgs');
  });

  describe.each(['editor', 'reporter'])('a %s', (role) => {
    it.each(['project.qgs', 'project.qgd', 'project.qml', 'project_attachments.zip'])('may not upload %s (403, nothing kept)', async (name) => {
      const before = await versionKeys(t, projectId);
      expectError(await f.upload(tokens[role], projectId, name, Buffer.from(`${role} ${name}`)), 403, 'permission_denied');
      expect(await versionKeys(t, projectId)).toEqual(before);
      expect(
        await eventually(
          () => storedFiles(t, projectId),
          (files) => files.length === before.length,
        ),
      ).toEqual(before);
    });

    it.each(['data.gpkg', 'DCIM/photo.jpg', 'other.qml'])('may upload the non-restricted %s', async (name) => {
      expectStatus(await f.upload(tokens[role], projectId, name, name.endsWith('.qgs') ? qgs() : Buffer.from(`${role} ${name}`)), 201);
    });
  });

  it.each([
    ['manager', 'project.qml'],
    ['manager', 'project.qgs'],
    ['admin', 'project.qgd'],
    ['admin', 'project_attachments.zip'],
  ])('a %s may upload %s', async (role, name) => {
    expectStatus(await f.upload(tokens[role], projectId, name, name.endsWith('.qgs') ? qgs() : Buffer.from(`${role} ${name}`)), 201);
  });

  it.each(['project.qgs', 'project.qml', 'project.qgd', 'project_attachments.zip'])('an editor may not delete %s (403, still there)', async (name) => {
    expectError(await f.remove(tokens.editor, projectId, name), 403, 'permission_denied');
    expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = $2`, [projectId, name])).toHaveLength(1);
  });

  it('an editor may delete a non-restricted file', async () => {
    expectStatus(await f.remove(tokens.editor, projectId, 'data.gpkg'), 204);
  });

  it('a manager may delete a restricted file', async () => {
    expectStatus(await f.remove(tokens.manager, projectId, 'project.qml'), 204);
  });

  it('an admin may delete a restricted file', async () => {
    expectStatus(await f.remove(tokens.admin, projectId, 'project.qgd'), 204);
  });

  it('a manager may upload the first .qgs of another restricted project', async () => {
    const other = (await f.project(owner, 'restricted-two', { has_restricted_projectfiles: true })).id;
    await f.grant(owner, other, 'mona', 'manager');
    expectStatus(await f.upload(tokens.manager, other, 'map.qgz', qgz('map')), 201);
  });

  it('without has_restricted_projectfiles an editor may upload and delete the QGIS file', async () => {
    const open = (await f.project(owner, 'unrestricted')).id;
    await f.grant(owner, open, 'eddie', 'editor');
    expectStatus(await f.upload(tokens.editor, open, 'project.qgs', qgs()), 201);
    expectStatus(await f.upload(tokens.editor, open, 'project.qml', Buffer.from('style')), 201);
    expectStatus(await f.remove(tokens.editor, open, 'project.qgs'), 204);
  });
});

// =============================================================================================

describe('quota (spec §5.6, §8), STORAGE_KEEP_VERSIONS=1', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;

  beforeAll(async () => {
    t = await startTestApp({ STORAGE_KEEP_VERSIONS: '1' });
    await listen(t);
    f = filesApi(t);
  });
  afterAll(() => t?.close());

  it('an upload that would exceed the owner’s quota is 402 over_quota and nothing is kept', async () => {
    const carol = await t.createPerson('carol');
    await f.setQuota('carol', 1000);
    const projectId = (await f.project(carol, 'quota-exceeded')).id;
    expectError(await f.upload(carol, projectId, 'big.bin', randomBytes(1001)), 402, 'over_quota');
    expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
    expect(await storedFilesOnceEmpty(t, projectId)).toEqual([]);
    const project = await f.getProject(carol, projectId);
    expect([project.file_storage_bytes, project.data_last_updated_at]).toEqual([0, null]);
    expect((await f.me(carol)).storage_used_bytes).toBe(0);
  });

  it('an upload that exactly fills the quota is accepted', async () => {
    const cleo = await t.createPerson('cleo');
    await f.setQuota('cleo', 1000);
    const projectId = (await f.project(cleo, 'quota-exact')).id;
    expectStatus(await f.upload(cleo, projectId, 'exact.bin', randomBytes(1000)), 201);
    expect((await f.me(cleo)).storage_used_bytes).toBe(1000);
  });

  it('the quota counts every project of the owner', async () => {
    const cora = await t.createPerson('cora');
    await f.setQuota('cora', 1000);
    const one = (await f.project(cora, 'quota-one')).id;
    const two = (await f.project(cora, 'quota-two')).id;
    await f.put(cora, one, 'a.bin', randomBytes(600));
    expectError(await f.upload(cora, two, 'b.bin', randomBytes(500)), 402, 'over_quota');
    expect(await fileRowCount(t, two)).toEqual({ files: 0, versions: 0 });
    expect(await storedFilesOnceEmpty(t, two)).toEqual([]);
  });

  it('a refused re-upload keeps the existing version intact', async () => {
    const cody = await t.createPerson('cody');
    await f.setQuota('cody', 1000);
    const projectId = (await f.project(cody, 'quota-reupload')).id;
    const original = randomBytes(300);
    await f.put(cody, projectId, 'keep.bin', original);
    await f.put(cody, projectId, 'other.bin', randomBytes(600));
    const keys = await versionKeys(t, projectId);
    expectError(await f.upload(cody, projectId, 'keep.bin', randomBytes(500)), 402, 'over_quota');
    expect(await versionKeys(t, projectId)).toEqual(keys);
    expect(
      await eventually(
        () => storedFiles(t, projectId),
        (files) => files.length === keys.length,
      ),
    ).toEqual(keys);
    const back = await f.download(cody, projectId, 'keep.bin');
    expect(md5(back.body)).toBe(md5(original));
  });

  describe('counting pruned versions as gone', () => {
    let dave: string;
    let projectId: string;
    beforeAll(async () => {
      dave = await t.createPerson('dave');
      await f.setQuota('dave', 1000);
      projectId = (await f.project(dave, 'quota-prune')).id;
      await f.put(dave, projectId, 'a.bin', randomBytes(600));
    });

    it('accepts a replacement whose pruned version makes room (600 → 700 within 1000)', async () => {
      const res = await f.upload(dave, projectId, 'a.bin', randomBytes(700));
      expectStatus(res, 201);
      expect(res.body.versions).toHaveLength(1);
      expect(res.body.size).toBe(700);
    });

    it('then counts only the kept bytes', async () => {
      expect((await f.getProject(dave, projectId)).file_storage_bytes).toBe(700);
      expect((await f.me(dave)).storage_used_bytes).toBe(700);
      expect(
        await eventually(
          () => storedFiles(t, projectId),
          (files) => files.length === 1,
        ),
      ).toEqual(await versionKeys(t, projectId));
    });

    it('still refuses a new file that does not fit (700 + 400 > 1000)', async () => {
      expectError(await f.upload(dave, projectId, 'b.bin', randomBytes(400)), 402, 'over_quota');
      expect((await f.getProject(dave, projectId)).file_storage_bytes).toBe(700);
    });
  });

  describe('two parallel uploads that each fit alone but not together', () => {
    let frank: string;
    let projectId: string;
    let statuses: number[];
    let bodies: Res[];
    beforeAll(async () => {
      frank = await t.createPerson('frank');
      await f.setQuota('frank', 1000);
      projectId = (await f.project(frank, 'quota-race')).id;
      bodies = await Promise.all([f.upload(frank, projectId, 'left.bin', randomBytes(600)), f.upload(frank, projectId, 'right.bin', randomBytes(600))]);
      statuses = bodies.map((res) => res.status).sort();
    });

    it('exactly one is 201 and the other 402 over_quota', () => {
      expect(statuses).toEqual([201, 402]);
      expectError(
        bodies.find((res) => res.status === 402)!,
        402,
        'over_quota',
      );
    });

    it('keeps exactly one file, its row and its bytes', async () => {
      expect(await fileRowCount(t, projectId)).toEqual({ files: 1, versions: 1 });
      expect(
        await eventually(
          () => storedFiles(t, projectId),
          (files) => files.length === 1,
        ),
      ).toEqual(await versionKeys(t, projectId));
      expect((await f.getProject(frank, projectId)).file_storage_bytes).toBe(600);
    });
  });

  describe('transfer into an account without room', () => {
    let gina: string;
    let hank: string;
    let projectId: string;
    let before: Record<string, any>;
    beforeAll(async () => {
      gina = await t.createPerson('gina');
      hank = await t.createPerson('hank');
      await f.setQuota('hank', 1000);
      projectId = (await f.project(gina, 'moving')).id;
      await f.put(gina, projectId, 'a.bin', randomBytes(500));
      const hanks = (await f.project(hank, 'hanks-own')).id;
      await f.put(hank, hanks, 'h.bin', randomBytes(600));
      before = await f.getProject(gina, projectId);
    });

    it('is 402 over_quota', async () => {
      const res = await request(t.http).patch(`${PROJECTS}${projectId}/`).set(auth(gina)).send({ owner: 'hank', description: 'moved' });
      expectError(res, 402, 'over_quota');
    });

    it('changes nothing: owner, description, accounting', async () => {
      expect(await f.getProject(gina, projectId)).toEqual(before);
      expect((await f.me(gina)).storage_used_bytes).toBe(500);
      expect((await f.me(hank)).storage_used_bytes).toBe(600);
      const [row] = await t.sql<{ username: string }>(`SELECT a.username FROM projects p JOIN accounts a ON a.id = p.owner_id WHERE p.id = $1`, [projectId]);
      expect(row.username).toBe('gina');
    });

    it('a transfer into an account with room succeeds and moves the bytes', async () => {
      const ivan = await t.createPerson('ivan');
      await f.setQuota('ivan', 500);
      const res = await request(t.http).patch(`${PROJECTS}${projectId}/`).set(auth(gina)).send({ owner: 'ivan' });
      expectStatus(res, 200);
      expect(res.body.owner).toBe('ivan');
      expect((await f.me(ivan)).storage_used_bytes).toBe(500);
      expect((await f.me(gina)).storage_used_bytes).toBe(0);
    });
  });
});

// =============================================================================================
