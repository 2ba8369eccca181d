import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError } from './support/expectations.js';
import { FULL_KEYS, noPaginationHeaders, tryLogin, usersApi } from './support/users-fixtures.js';

describe('Users (spec §4, §4.1, §7)', () => {
  let t: TestApp;
  let admin: string;
  /** A plain (non-staff) person. */
  let plain: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    plain = await t.createPerson('plain_pat');
  });
  afterAll(() => t.close());
  const { create, getUser, patch } = usersApi(
    () => t,
    () => admin,
  );

  describe('GET /api/v1/users/{username}/', () => {
    beforeAll(async () => {
      await create({ username: 'LookupMe', email: 'lookupme@example.com', password: 'long-enough' });
    });

    it('finds an account by name case-insensitively', async () => {
      for (const name of ['LookupMe', 'lookupme', 'LOOKUPME']) {
        const res = await getUser(name, plain);
        expect(res.status).toBe(200);
        expect(res.body.username).toBe('LookupMe');
      }
    });

    it('answers 404 object_not_found for an unknown name', async () => {
      expectError(await getUser('no_such_person', plain), 404, 'object_not_found');
      expectError(await getUser('no_such_person', admin), 404, 'object_not_found');
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).get('/api/v1/users/LookupMe/'), 401, 'not_authenticated');
    });

    it('sends no pagination headers on the object, and ignores limit/offset there', async () => {
      const res = await request(t.http).get('/api/v1/users/LookupMe/?limit=abc&offset=1').set(auth(plain));
      expect(res.status).toBe(200);
      expect(res.body.username).toBe('LookupMe');
      noPaginationHeaders(res);
    });
  });

  describe('PATCH and PUT /api/v1/users/{username}/', () => {
    let pia: string;
    let quinn: string;
    beforeAll(async () => {
      pia = await t.createPerson('pia_self');
      quinn = await t.createPerson('quinn_other');
    });

    it('lets a person change their own first_name and last_name', async () => {
      const res = await patch('pia_self', { first_name: 'Pia', last_name: 'Selfridge' }, pia);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(FULL_KEYS);
      expect(res.body).toMatchObject({ username: 'pia_self', first_name: 'Pia', last_name: 'Selfridge', full_name: 'Pia Selfridge' });
      expect((await getUser('pia_self', plain)).body.full_name).toBe('Pia Selfridge');
    });

    it('lets a person change their own email', async () => {
      const res = await patch('pia_self', { email: 'pia.new@example.com' }, pia);
      expect(res.status).toBe(200);
      expect(res.body.email).toBe('pia.new@example.com');
      expect((await getUser('pia_self', admin)).body.email).toBe('pia.new@example.com');
      expect((await tryLogin(t, 'pia.new@example.com', 'pia_self-password')).status).toBe(200);
    });

    it('refuses an invalid e-mail (400 naming email) and one taken case-insensitively', async () => {
      expectError(await patch('pia_self', { email: 'not-an-email' }, pia), 400, 'validation_error', 'email');
      expectError(await patch('pia_self', { email: 'QUINN_OTHER@example.com' }, pia), 400, 'validation_error', 'email');
      expect((await getUser('pia_self', admin)).body.email).toBe('pia.new@example.com');
    });

    it('lets a person change their own password, then log in with the new one only', async () => {
      const res = await patch('pia_self', { password: 'a-brand-new-secret' }, pia);
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('password');
      expect((await tryLogin(t, 'pia_self', 'a-brand-new-secret')).status).toBe(200);
      expectError(await tryLogin(t, 'pia_self', 'pia_self-password'), 401, 'authentication_failed');
    });

    it('refuses a new password under 8 characters, naming password', async () => {
      expectError(await patch('pia_self', { password: 'short' }, pia), 400, 'validation_error', 'password');
      expect((await tryLogin(t, 'pia_self', 'a-brand-new-secret')).status).toBe(200);
    });

    it("answers 403 permission_denied for another person's record, and changes nothing", async () => {
      const before = (await getUser('quinn_other', admin)).body;
      for (const body of [{ first_name: 'Hacked' }, { email: 'hacked@example.com' }, { password: 'hacked-password' }, {}]) {
        expectError(await patch('quinn_other', body, pia), 403, 'permission_denied');
      }
      expect((await getUser('quinn_other', admin)).body).toEqual(before);
      expect((await tryLogin(t, 'quinn_other', 'quinn_other-password')).status).toBe(200);
    });

    it('answers 403 permission_denied when a person changes their own storage_quota_bytes', async () => {
      expectError(await patch('pia_self', { storage_quota_bytes: 999999999999 }, pia), 403, 'permission_denied');
      expect((await getUser('pia_self', pia)).body.storage_quota_bytes).toBe(t.config.defaultStorageQuotaBytes);
    });

    it('answers 403 permission_denied when a person changes their own is_active', async () => {
      expectError(await patch('pia_self', { is_active: false }, pia), 403, 'permission_denied');
      expect((await getUser('pia_self', pia)).status).toBe(200);
    });

    it("lets staff change anyone's names, email and password", async () => {
      const res = await patch(
        'quinn_other',
        { first_name: 'Quinn', last_name: 'Other', email: 'quinn.staffset@example.com', password: 'staff-chosen-pw' },
        admin,
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(FULL_KEYS);
      expect(res.body).toMatchObject({
        username: 'quinn_other',
        full_name: 'Quinn Other',
        first_name: 'Quinn',
        last_name: 'Other',
        email: 'quinn.staffset@example.com',
      });
      expect((await tryLogin(t, 'quinn_other', 'staff-chosen-pw')).status).toBe(200);
    });

    it("lets staff change anyone's storage_quota_bytes", async () => {
      const res = await patch('quinn_other', { storage_quota_bytes: 5_000_000 }, admin);
      expect(res.status).toBe(200);
      expect(res.body.storage_quota_bytes).toBe(5_000_000);
      expect((await getUser('quinn_other', quinn)).body.storage_quota_bytes).toBe(5_000_000);
    });

    it('refuses a negative or non-integer storage_quota_bytes with 400 naming it', async () => {
      expectError(await patch('quinn_other', { storage_quota_bytes: -1 }, admin), 400, 'validation_error', 'storage_quota_bytes');
      expectError(await patch('quinn_other', { storage_quota_bytes: 'lots' }, admin), 400, 'validation_error', 'storage_quota_bytes');
    });

    it('lets staff set is_active=false: login fails and existing tokens answer 401 token_authentication_failed; true restores login', async () => {
      const token = await t.login('quinn_other', 'staff-chosen-pw');
      expect((await getUser('quinn_other', token)).status).toBe(200);
      const off = await patch('quinn_other', { is_active: false }, admin);
      expect(off.status).toBe(200);
      expectError(await tryLogin(t, 'quinn_other', 'staff-chosen-pw'), 401, 'authentication_failed');
      expectError(await getUser('quinn_other', token), 401, 'token_authentication_failed');
      expectError(await request(t.http).get('/api/v1/auth/user/').set(auth(quinn)), 401, 'token_authentication_failed');
      const on = await patch('quinn_other', { is_active: true }, admin);
      expect(on.status).toBe(200);
      expect((await tryLogin(t, 'quinn_other', 'staff-chosen-pw')).status).toBe(200);
    });

    it.each(['first_name', 'last_name', 'email', 'password'])(
      'refuses a JSON null %s with 400 validation_error naming it, and changes nothing',
      async (field) => {
        const before = (await getUser('pia_self', admin)).body;
        expectError(await patch('pia_self', { [field]: null }, pia), 400, 'validation_error', field);
        expectError(await patch('pia_self', { [field]: null }, admin), 400, 'validation_error', field);
        expect((await getUser('pia_self', admin)).body).toEqual(before);
      },
    );

    it('refuses a JSON null is_active from staff with 400 naming it', async () => {
      expectError(await patch('quinn_other', { is_active: null }, admin), 400, 'validation_error', 'is_active');
      expect((await getUser('quinn_other', quinn)).status).toBe(200);
    });

    it('refuses an is_active that is not a boolean, naming it', async () => {
      expectError(await patch('quinn_other', { is_active: 'yes' }, admin), 400, 'validation_error', 'is_active');
    });

    it('ignores the read-only fields username and type', async () => {
      const res = await patch('pia_self', { username: 'pia_renamed', type: 2, last_name: 'Readonly' }, pia);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ username: 'pia_self', type: 1, last_name: 'Readonly' });
      expect((await getUser('pia_self', admin)).body.username).toBe('pia_self');
      expectError(await getUser('pia_renamed', admin), 404, 'object_not_found');
    });

    it('answers the unchanged object to an empty PATCH (JSON {} and no body at all)', async () => {
      const before = (await getUser('pia_self', pia)).body;
      const empty = await patch('pia_self', {}, pia);
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual(before);
      expect(Object.keys(empty.body)).toEqual(FULL_KEYS);
      const none = await request(t.http).patch('/api/v1/users/pia_self/').set(auth(pia));
      expect(none.status).toBe(200);
      expect(none.body).toEqual(before);
    });

    it('takes form bodies with booleans True and 0, and a numeric quota as text', async () => {
      await create({ username: 'formy_fay', email: 'formy_fay@example.com', password: 'long-enough' });
      const form = (body: string) => request(t.http).patch('/api/v1/users/formy_fay/').set(auth(admin)).type('form').send(body);
      const off = await form('is_active=0&storage_quota_bytes=4242&first_name=Fay');
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ first_name: 'Fay', storage_quota_bytes: 4242 });
      expectError(await tryLogin(t, 'formy_fay', 'long-enough'), 401, 'authentication_failed');
      const on = await form('is_active=True');
      expect(on.status).toBe(200);
      expect((await tryLogin(t, 'formy_fay', 'long-enough')).status).toBe(200);
      const multipart = await request(t.http).patch('/api/v1/users/formy_fay/').set(auth(admin)).field('is_active', 'False').field('last_name', 'Multi');
      expect(multipart.status).toBe(200);
      expect(multipart.body.last_name).toBe('Multi');
      expectError(await tryLogin(t, 'formy_fay', 'long-enough'), 401, 'authentication_failed');
    });

    it('treats PUT like PATCH: a partial body changes only the given fields, with the same permissions', async () => {
      const before = (await getUser('pia_self', pia)).body;
      const res = await request(t.http).put('/api/v1/users/pia_self/').set(auth(pia)).send({ first_name: 'Putty' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...before, first_name: 'Putty', full_name: `Putty ${before.last_name}` });
      expectError(await request(t.http).put('/api/v1/users/quinn_other/').set(auth(pia)).send({ first_name: 'Nope' }), 403, 'permission_denied');
      expectError(await request(t.http).put('/api/v1/users/pia_self/').set(auth(pia)).send({ storage_quota_bytes: 1 }), 403, 'permission_denied');
      const byStaff = await request(t.http).put('/api/v1/users/pia_self/').set(auth(admin)).type('form').send('storage_quota_bytes=777');
      expect(byStaff.status).toBe(200);
      expect(byStaff.body.storage_quota_bytes).toBe(777);
      expectError(await request(t.http).put('/api/v1/users/no_such_put/').set(auth(admin)).send({ first_name: 'X' }), 404, 'object_not_found');
    });

    it('answers 404 object_not_found for an unknown user', async () => {
      expectError(await patch('no_such_patch', { first_name: 'X' }, admin), 404, 'object_not_found');
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).patch('/api/v1/users/pia_self/').send({ first_name: 'Anon' }), 401, 'not_authenticated');
    });
  });

  describe('DELETE /api/v1/users/{username}/', () => {
    it('answers 403 permission_denied to a person who is not staff (others and themself), and deletes nothing', async () => {
      const victimToken = await t.createPerson('del_victim');
      expectError(await request(t.http).delete('/api/v1/users/del_victim/').set(auth(plain)), 403, 'permission_denied');
      expectError(await request(t.http).delete('/api/v1/users/del_victim/').set(auth(victimToken)), 403, 'permission_denied');
      expect((await getUser('del_victim', admin)).status).toBe(200);
      expect((await getUser('del_victim', victimToken)).status).toBe(200);
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).delete('/api/v1/users/del_victim/'), 401, 'not_authenticated');
    });

    it("lets staff delete a person: 204 with an empty body, the person's tokens stop working, then 404", async () => {
      const token = await t.createPerson('del_gone');
      const second = await t.login('del_gone', 'del_gone-password', 'Mozilla/5.0');
      const res = await request(t.http).delete('/api/v1/users/DEL_GONE/').set(auth(admin));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      for (const tk of [token, second]) {
        expectError(await request(t.http).get('/api/v1/auth/user/').set(auth(tk)), 401, 'token_authentication_failed');
      }
      expectError(await getUser('del_gone', admin), 404, 'object_not_found');
      expectError(await tryLogin(t, 'del_gone', 'del_gone-password'), 401, 'authentication_failed');
      const names = (await request(t.http).get('/api/v1/users/?q=del_gone').set(auth(admin))).body;
      expect(names).toEqual([]);
    });

    it('answers 404 object_not_found for an unknown person', async () => {
      expectError(await request(t.http).delete('/api/v1/users/no_such_delete/').set(auth(admin)), 404, 'object_not_found');
    });
  });
});

describe('Users and their projects (spec §4.1, §8)', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  it('refuses to delete a person who owns a project (400), and deletes them once it is gone', async () => {
    const owner = await t.createPerson('projectowner');
    const project = await request(t.http).post('/api/v1/projects/').set(auth(owner)).send({ name: 'keeps-me' });
    expect(project.status).toBe(201);
    const refused = await request(t.http).delete('/api/v1/users/projectowner/').set(auth(admin));
    expectError(refused, 400, 'validation_error');
    expect((await request(t.http).get('/api/v1/users/projectowner/').set(auth(admin))).status).toBe(200);
    expect((await request(t.http).delete(`/api/v1/projects/${project.body.id}/`).set(auth(owner))).status).toBe(204);
    expect((await request(t.http).delete('/api/v1/users/projectowner/').set(auth(admin))).status).toBe(204);
  });

  it('reports storage_used_bytes as the sum of file_storage_bytes over the projects the person owns', async () => {
    const owner = await t.createPerson('storageuser');
    for (const name of ['a', 'b']) expect((await request(t.http).post('/api/v1/projects/').set(auth(owner)).send({ name })).status).toBe(201);
    await t.sql(
      `UPDATE projects SET file_storage_bytes = CASE name WHEN 'a' THEN 1000 ELSE 234 END WHERE owner_id = (SELECT id FROM accounts WHERE username = 'storageuser')`,
    );
    const me = await request(t.http).get('/api/v1/auth/user/').set(auth(owner));
    expect(me.body.storage_used_bytes).toBe(1234);
  });
});
