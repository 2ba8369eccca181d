import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { ADMIN, auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError } from './support/expectations.js';

/**
 * Spec §3 (authentication), one rule per test, against the real app and a real PostgreSQL.
 * Three apps: the default configuration, a short token expiry, and a short login lock-out.
 */

const LOGIN_PATHS = ['/api/v1/auth/login/', '/api/v1/auth/token/'] as const;
const LOGIN_FIELDS = ['token', 'expires_at', 'username', 'type', 'email', 'avatar_url', 'first_name', 'last_name', 'full_name'];
const PERSON_FIELDS = ['username', 'type', 'full_name', 'first_name', 'last_name', 'email', 'avatar_url', 'is_staff', 'storage_quota_bytes', 'storage_used_bytes'];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const LOGGED_OUT = { detail: 'Successfully logged out.' };
const SDK_UA = 'sdk|py|1.0';
const HOUR_MS = 3_600_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (epochMs: number) => sleep(Math.max(0, epochMs - Date.now()));

interface Person {
  username: string;
  password: string;
  email: string;
}

let counter = 0;
/** A unique account name (each app has its own database, but tests within one app share it). */
const uniqueName = (prefix: string) => `${prefix}${++counter}x${Math.random().toString(36).slice(2, 7)}`;

/** Creates a person through the API as the admin; does not log them in. */
async function createPerson(t: TestApp, prefix: string, names: { first_name?: string; last_name?: string } = {}): Promise<Person> {
  const username = uniqueName(prefix);
  const person = { username, password: `${username}-secret`, email: `${username}@example.com` };
  const res = await request(t.http)
    .post('/api/v1/users/')
    .set(auth(await t.adminToken()))
    .send({ ...person, ...names });
  if (res.status !== 201) throw new Error(`creating ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return person;
}

/**
 * Inserts an organization (type 2) or team (type 3) row directly, so that it can be given a password
 * hash no API would give it. Fills the owner / parent-organization link when the schema has one.
 */
async function insertGroupAccount(
  t: TestApp,
  row: { type: 2 | 3; username: string; email?: string | null; passwordHashOf?: string; ownerId: string },
): Promise<string> {
  const columns = new Set(
    (await t.sql<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts'`)).map((c) => c.column_name),
  );
  const link = row.type === 2 ? 'organization_owner_id' : 'team_organization_id';
  const [inserted] = await t.sql<{ id: string }>(
    `INSERT INTO accounts (type, username, email, password_hash${columns.has(link) ? `, ${link}` : ''})
     VALUES ($1, $2, $3, (SELECT password_hash FROM accounts WHERE username = $4)${columns.has(link) ? ', $5' : ''})
     RETURNING id`,
    [row.type, row.username, row.email ?? null, row.passwordHashOf ?? null, ...(columns.has(link) ? [row.ownerId] : [])],
  );
  return inserted.id;
}

const accountId = async (t: TestApp, username: string) =>
  (await t.sql<{ id: string }>(`SELECT id FROM accounts WHERE username = $1`, [username]))[0].id;

/** POST /auth/login/ with a JSON body; the whole response. */
function login(t: TestApp, body: Record<string, string>, options: { userAgent?: string; ip?: string; path?: string } = {}) {
  const req = request(t.http).post(options.path ?? '/api/v1/auth/login/');
  if (options.userAgent !== undefined) req.set('User-Agent', options.userAgent);
  if (options.ip !== undefined) req.set('X-Forwarded-For', options.ip);
  return req.send(body);
}

/** A token for the person, logging in with the given User-Agent. */
async function tokenFor(t: TestApp, person: { username: string; password: string }, userAgent: string): Promise<string> {
  const res = await login(t, { username: person.username, password: person.password }, { userAgent });
  if (res.status !== 200) throw new Error(`login of ${person.username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** GET /auth/user/ with the raw Authorization header value. */
const whoAmI = (t: TestApp, authorization: string) => request(t.http).get('/api/v1/auth/user/').set('Authorization', authorization);
const statusOf = async (t: TestApp, token: string) => (await whoAmI(t, `Token ${token}`)).status;

describe('Authentication (spec §3), default configuration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('login', () => {
    it('answers the same at /auth/login/ and /auth/token/, with and without the trailing slash', async () => {
      const person = await createPerson(t, 'same');
      for (const path of [...LOGIN_PATHS, '/api/v1/auth/login', '/api/v1/auth/token']) {
        const ok = await login(t, { username: person.username, password: person.password }, { path, userAgent: SDK_UA });
        expect({ path, status: ok.status, keys: Object.keys(ok.body) }).toEqual({ path, status: 200, keys: LOGIN_FIELDS });
        expect(ok.body.username).toBe(person.username);
        expect(await statusOf(t, ok.body.token)).toBe(200);
      }
      for (const path of LOGIN_PATHS) {
        expectError(await login(t, { username: person.username, password: 'wrong-password' }, { path }), 401, 'authentication_failed');
        expectError(await login(t, { password: person.password }, { path }), 400, 'validation_error');
      }
    });

    it('answers 200 with exactly {token, expires_at, username, type:"1", email, avatar_url, first_name, last_name, full_name}', async () => {
      const person = await createPerson(t, 'body', { first_name: 'Ada', last_name: 'Lovelace' });
      const res = await login(t, { username: person.username, password: person.password });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body)).toEqual(LOGIN_FIELDS);
      expect(res.body).toEqual({
        token: expect.any(String),
        expires_at: expect.stringMatching(ISO_UTC),
        username: person.username,
        type: '1',
        email: person.email,
        avatar_url: null,
        first_name: 'Ada',
        last_name: 'Lovelace',
        full_name: 'Ada Lovelace',
      });
    });

    it('logs in by username case-insensitively and answers the name as it was created', async () => {
      const person = await createPerson(t, 'CaseName');
      for (const given of [person.username.toLowerCase(), person.username.toUpperCase()]) {
        const res = await login(t, { username: given, password: person.password }, { userAgent: SDK_UA });
        expect({ given, status: res.status, username: res.body.username }).toEqual({ given, status: 200, username: person.username });
      }
    });

    it('logs in by e-mail address in the username field, case-insensitively', async () => {
      const person = await createPerson(t, 'byemail');
      for (const given of [person.email, person.email.toUpperCase()]) {
        const res = await login(t, { username: given, password: person.password }, { userAgent: SDK_UA });
        expect({ given, status: res.status, username: res.body.username }).toEqual({ given, status: 200, username: person.username });
      }
    });

    it('accepts an `email` field instead of `username`', async () => {
      const person = await createPerson(t, 'emailfield');
      for (const given of [person.email, person.email.toUpperCase()]) {
        const res = await login(t, { email: given, password: person.password }, { userAgent: SDK_UA });
        expect({ given, status: res.status, username: res.body.username }).toEqual({ given, status: 200, username: person.username });
      }
    });

    it('accepts JSON, form and multipart bodies on both login paths', async () => {
      const person = await createPerson(t, 'bodies');
      for (const path of LOGIN_PATHS) {
        const json = await request(t.http).post(path).set('User-Agent', SDK_UA).send({ username: person.username, password: person.password });
        const form = await request(t.http)
          .post(path)
          .set('User-Agent', SDK_UA)
          .type('form')
          .send(`username=${encodeURIComponent(person.username)}&password=${encodeURIComponent(person.password)}`);
        const multipart = await request(t.http).post(path).set('User-Agent', SDK_UA).field('username', person.username).field('password', person.password);
        for (const [kind, res] of Object.entries({ json, form, multipart })) {
          expect({ path, kind, status: res.status, username: res.body.username }).toEqual({ path, kind, status: 200, username: person.username });
          expect(await statusOf(t, res.body.token)).toBe(200);
        }
      }
    });

    it('answers a missing username (and no email) with 400 validation_error naming username', async () => {
      const res = await login(t, { password: 'whatever-password' });
      expectError(res, 400, 'validation_error');
      expect(Object.keys(res.body.detail)).toEqual(['username']);
      const form = await request(t.http).post('/api/v1/auth/token/').type('form').send('password=whatever-password');
      expectError(form, 400, 'validation_error');
      expect(Object.keys(form.body.detail)).toEqual(['username']);
    });

    it('answers a missing password with 400 validation_error naming password', async () => {
      const person = await createPerson(t, 'nopass');
      const res = await login(t, { username: person.username });
      expectError(res, 400, 'validation_error');
      expect(Object.keys(res.body.detail)).toEqual(['password']);
    });

    it('answers a wrong password with 401 authentication_failed', async () => {
      const person = await createPerson(t, 'wrongpw');
      expectError(await login(t, { username: person.username, password: `${person.password}x` }), 401, 'authentication_failed');
      expectError(await login(t, { email: person.email, password: 'not-the-password' }), 401, 'authentication_failed');
    });

    it('answers an unknown username or e-mail with 401 authentication_failed', async () => {
      expectError(await login(t, { username: uniqueName('nobody'), password: 'some-password' }), 401, 'authentication_failed');
      expectError(await login(t, { username: `${uniqueName('nobody')}@example.com`, password: 'some-password' }), 401, 'authentication_failed');
    });

    it('refuses an inactive person with 401 authentication_failed, even with the right password', async () => {
      const person = await createPerson(t, 'inactive');
      expect((await login(t, { username: person.username, password: person.password }, { userAgent: SDK_UA })).status).toBe(200);
      const patch = await request(t.http)
        .patch(`/api/v1/users/${person.username}/`)
        .set(auth(await t.adminToken()))
        .send({ is_active: false });
      expect(patch.status).toBe(200);
      expectError(await login(t, { username: person.username, password: person.password }), 401, 'authentication_failed');
      expectError(await login(t, { email: person.email, password: person.password }), 401, 'authentication_failed');
    });

    it('refuses organizations and teams with 401 authentication_failed, even with a valid password hash', async () => {
      const person = await createPerson(t, 'orgpw');
      const org = uniqueName('org');
      const team = `@${org}/${uniqueName('team')}`;
      const orgId = await insertGroupAccount(t, { type: 2, username: org, email: `${org}@example.com`, passwordHashOf: person.username, ownerId: await accountId(t, person.username) });
      await insertGroupAccount(t, { type: 3, username: team, passwordHashOf: person.username, ownerId: orgId });
      expectError(await login(t, { username: org, password: person.password }), 401, 'authentication_failed');
      expectError(await login(t, { username: `${org}@example.com`, password: person.password }), 401, 'authentication_failed');
      expectError(await login(t, { username: team, password: person.password }), 401, 'authentication_failed');
      // The same hash still opens the person's own account: the refusals above are about the account type.
      expect((await login(t, { username: person.username, password: person.password }, { userAgent: SDK_UA })).status).toBe(200);
    });

    it("logs a person in by e-mail even when an organization has the same e-mail address", async () => {
      const person = await createPerson(t, 'sharedmail');
      const org = uniqueName('mailorg');
      await insertGroupAccount(t, { type: 2, username: org, email: person.email.toUpperCase(), ownerId: await accountId(t, person.username) });
      const res = await login(t, { username: person.email, password: person.password }, { userAgent: SDK_UA });
      expect({ status: res.status, username: res.body.username }).toEqual({ status: 200, username: person.username });
    });

    it('issues tokens of at least 100 characters, different at every login', async () => {
      const person = await createPerson(t, 'toklen');
      const tokens = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const token = await tokenFor(t, person, SDK_UA);
        expect(token.length).toBeGreaterThanOrEqual(100);
        expect(token).toMatch(/^\S+$/);
        tokens.add(token);
      }
      expect(tokens.size).toBe(3);
    });

    it('sets expires_at to AUTH_TOKEN_EXPIRATION_HOURS after issue (default 720 hours)', async () => {
      const person = await createPerson(t, 'expdefault');
      const before = Date.now();
      const res = await login(t, { username: person.username, password: person.password }, { userAgent: SDK_UA });
      const after = Date.now();
      expect(res.status).toBe(200);
      const expiresAt = Date.parse(res.body.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 720 * HOUR_MS - 1000);
      expect(expiresAt).toBeLessThanOrEqual(after + 720 * HOUR_MS + 1000);
    });

    it('locks an account out after the default of 5 failures (LOGIN_MAX_FAILURES default)', async () => {
      const person = await createPerson(t, 'default5');
      for (let i = 1; i <= 5; i++) {
        expectError(await login(t, { username: person.username, password: `wrong-${i}` }), 401, 'authentication_failed');
      }
      expectError(await login(t, { username: person.username, password: person.password }), 401, 'too_many_failed_login_attempts');
    });

    it('takes the client IP from the peer, not from X-Forwarded-For, when no proxy is trusted (TRUST_PROXY default)', async () => {
      const person = await createPerson(t, 'spoof');
      for (let i = 1; i <= 5; i++) {
        expectError(await login(t, { username: person.username, password: `wrong-${i}` }, { ip: `198.51.100.${i}` }), 401, 'authentication_failed');
      }
      expectError(await login(t, { username: person.username, password: person.password }, { ip: '198.51.100.99' }), 401, 'too_many_failed_login_attempts');
    });
  });

  describe('storage of secrets', () => {
    it('stores only a hash of a token, never the token itself', async () => {
      const person = await createPerson(t, 'hashonly');
      const token = await tokenFor(t, person, SDK_UA);
      const rows = await t.sql<{ row: string; key_hash: string }>(
        `SELECT row_to_json(t)::text AS row, t.key_hash FROM auth_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = $1`,
        [person.username],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].key_hash.trim()).not.toBe(token);
      expect(rows[0].row).not.toContain(token);
      const [{ n }] = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM auth_tokens t WHERE position($1 IN row_to_json(t)::text) > 0`,
        [token],
      );
      expect(n).toBe(0);
      // The stored hash still identifies the token.
      expect(await statusOf(t, token)).toBe(200);
    });

    it('stores passwords with a memory-hard hash (scrypt or argon2id), never in clear', async () => {
      const person = await createPerson(t, 'pwhash');
      const rows = await t.sql<{ username: string; password_hash: string }>(
        `SELECT username, password_hash FROM accounts WHERE username IN ($1, $2) ORDER BY username = $1 DESC`,
        [person.username, ADMIN.username],
      );
      expect(rows).toHaveLength(2);
      const [personRow, adminRow] = rows;
      for (const [row, password] of [
        [personRow, person.password],
        [adminRow, ADMIN.password],
      ] as const) {
        expect(row.password_hash).toMatch(/^(scrypt\$|\$argon2id\$)/);
        expect(row.password_hash).not.toContain(password);
      }
    });

    it('updates last_used_at when a token is used', async () => {
      const person = await createPerson(t, 'lastused');
      const token = await tokenFor(t, person, SDK_UA);
      const lastUsed = async () => {
        const [row] = await t.sql<{ last_used_at: Date | null }>(
          `SELECT t.last_used_at FROM auth_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = $1`,
          [person.username],
        );
        return row.last_used_at;
      };
      const before = Date.now();
      expect(await statusOf(t, token)).toBe(200);
      const first = await lastUsed();
      expect(first).not.toBeNull();
      expect(first!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      // An hour-old value is refreshed at the next use, whatever the write throttle.
      await t.sql(`UPDATE auth_tokens SET last_used_at = now() - interval '1 hour' WHERE account_id = (SELECT id FROM accounts WHERE username = $1)`, [person.username]);
      expect(await statusOf(t, token)).toBe(200);
      expect((await lastUsed())!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });
  });

  describe('Authorization header', () => {
    let person: Person;
    let token: string;
    beforeAll(async () => {
      person = await createPerson(t, 'header');
      token = await tokenFor(t, person, SDK_UA);
    });

    it('accepts the keyword Token in any case (Token, token, TOKEN)', async () => {
      for (const keyword of ['Token', 'token', 'TOKEN']) {
        const res = await whoAmI(t, `${keyword} ${token}`);
        expect({ keyword, status: res.status, username: res.body.username }).toEqual({ keyword, status: 200, username: person.username });
      }
    });

    it('accepts Bearer <key> too', async () => {
      for (const keyword of ['Bearer', 'bearer']) {
        const res = await whoAmI(t, `${keyword} ${token}`);
        expect({ keyword, status: res.status, username: res.body.username }).toEqual({ keyword, status: 200, username: person.username });
      }
    });

    it('answers a malformed Authorization header with 401 token_authentication_failed', async () => {
      for (const header of ['Token', 'Bearer', 'Basic abc', `Basic ${token}`, token, `Token ${token} extra`, `Tokens ${token}`]) {
        const res = await whoAmI(t, header);
        expect({ header, status: res.status, code: res.body.code }).toEqual({ header, status: 401, code: 'token_authentication_failed' });
      }
    });

    it('answers an unknown token with 401 token_authentication_failed', async () => {
      const unknown = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      expectError(await whoAmI(t, `Token ${unknown}`), 401, 'token_authentication_failed');
      expectError(await whoAmI(t, `Bearer ${'x'.repeat(128)}`), 401, 'token_authentication_failed');
    });

    it('answers no Authorization header with 401 not_authenticated', async () => {
      expectError(await request(t.http).get('/api/v1/auth/user/'), 401, 'not_authenticated');
      expectError(await request(t.http).get('/api/v1/users/'), 401, 'not_authenticated');
    });

    it("answers an inactive person's token with 401 token_authentication_failed", async () => {
      const other = await createPerson(t, 'inactivetok');
      const otherToken = await tokenFor(t, other, SDK_UA);
      expect(await statusOf(t, otherToken)).toBe(200);
      await t.sql(`UPDATE accounts SET is_active = false WHERE username = $1`, [other.username]);
      expectError(await whoAmI(t, `Token ${otherToken}`), 401, 'token_authentication_failed');
    });

    it('lets anonymous endpoints ignore an Authorization header they cannot use', async () => {
      for (const header of ['Token', 'Basic abc', `Token ${'x'.repeat(128)}`]) {
        const status = await request(t.http).get('/api/v1/status/').set('Authorization', header);
        expect({ header, status: status.status }).toEqual({ header, status: 200 });
        const loginRes = await request(t.http)
          .post('/api/v1/auth/login/')
          .set('Authorization', header)
          .set('User-Agent', SDK_UA)
          .send({ username: person.username, password: person.password });
        expect({ header, status: loginRes.status }).toEqual({ header, status: 200 });
      }
    });

    it('leaves nothing anonymous but login, logout, status, the OpenAPI document and the docs', async () => {
      expectError(await request(t.http).get('/api/v1/users/'), 401, 'not_authenticated');
      expectError(await request(t.http).get(`/api/v1/users/${person.username}/`), 401, 'not_authenticated');
      expectError(await request(t.http).get('/api/v1/auth/user/'), 401, 'not_authenticated');
      expect((await request(t.http).get('/api/v1/status/')).status).toBe(200);
      expect((await request(t.http).get('/api/v1/openapi.json')).status).toBe(200);
      expect((await request(t.http).get('/api/v1/docs/')).status).toBe(200);
      expect((await request(t.http).post('/api/v1/auth/logout/')).status).toBe(200);
    });
  });

  describe('client types from the User-Agent', () => {
    /** Logs the person in twice with the UA; answers whether the first token still works. */
    async function firstSurvivesSecondLogin(userAgent: string): Promise<boolean> {
      const person = await createPerson(t, 'ua');
      const first = await tokenFor(t, person, userAgent);
      expect(await statusOf(t, first)).toBe(200);
      const second = await tokenFor(t, person, userAgent);
      expect(await statusOf(t, second)).toBe(200);
      const status = await statusOf(t, first);
      expect([200, 401]).toContain(status);
      return status === 200;
    }

    it('qfield|…: a new login expires the earlier token', async () => {
      expect(await firstSurvivesSecondLogin('qfield|1.0|android')).toBe(false);
    });

    it('containing QGIS/ (qfieldsync): a new login expires the earlier token', async () => {
      expect(await firstSurvivesSecondLogin('QGIS/33400')).toBe(false);
    });

    it('unknown User-Agent: a new login expires the earlier token', async () => {
      expect(await firstSurvivesSecondLogin('curl/8.5.0')).toBe(false);
    });

    it('no User-Agent at all counts as unknown: a new login expires the earlier token', async () => {
      const person = await createPerson(t, 'noua');
      const loginWithoutUa = async () => {
        const res = await request(t.http).post('/api/v1/auth/login/').unset('User-Agent').send({ username: person.username, password: person.password });
        expect(res.status).toBe(200);
        return res.body.token as string;
      };
      const first = await loginWithoutUa();
      const second = await loginWithoutUa();
      expect([await statusOf(t, first), await statusOf(t, second)]).toEqual([401, 200]);
    });

    it('the expired earlier token answers 401 token_authentication_failed', async () => {
      const person = await createPerson(t, 'uaexp');
      const first = await tokenFor(t, person, 'qfield|1.0');
      await tokenFor(t, person, 'qfield|1.0');
      expectError(await whoAmI(t, `Token ${first}`), 401, 'token_authentication_failed');
    });

    it('sdk|…: many live tokens', async () => {
      expect(await firstSurvivesSecondLogin('sdk|py|1.0')).toBe(true);
    });

    it('cli|…: many live tokens', async () => {
      expect(await firstSurvivesSecondLogin('cli|py|1.0')).toBe(true);
    });

    it('Mozilla/ (browser): many live tokens', async () => {
      expect(await firstSurvivesSecondLogin('Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0')).toBe(true);
    });

    it('the first matching rule wins (qfield| before Mozilla/, sdk| before QGIS/, QGIS/ before Mozilla/)', async () => {
      expect(await firstSurvivesSecondLogin('qfield|3.5|Mozilla/5.0')).toBe(false);
      expect(await firstSurvivesSecondLogin('sdk|py|1.0 QGIS/33400')).toBe(true);
      expect(await firstSurvivesSecondLogin('cli|1.0 QGIS/33400')).toBe(true);
      expect(await firstSurvivesSecondLogin('Mozilla/5.0 QGIS/33400/Windows 10')).toBe(false);
    });

    it("a login expires only tokens of the same client type: a qfield login leaves the person's sdk and qfieldsync tokens", async () => {
      const person = await createPerson(t, 'mixed');
      const sdk = await tokenFor(t, person, SDK_UA);
      const qgis = await tokenFor(t, person, 'Mozilla/5.0 QGIS/33400/Linux');
      const qfield1 = await tokenFor(t, person, 'qfield|1.0');
      const qfield2 = await tokenFor(t, person, 'qfield|1.0');
      expect(await statusOf(t, qfield1)).toBe(401);
      expect([await statusOf(t, sdk), await statusOf(t, qgis), await statusOf(t, qfield2)]).toEqual([200, 200, 200]);
    });

    it("a login expires only the same person's tokens", async () => {
      const alice = await createPerson(t, 'alice');
      const bob = await createPerson(t, 'bob');
      const aliceToken = await tokenFor(t, alice, 'qfield|1.0');
      const bobToken = await tokenFor(t, bob, 'qfield|1.0');
      await tokenFor(t, bob, 'qfield|1.0');
      expect(await statusOf(t, bobToken)).toBe(401);
      expect(await statusOf(t, aliceToken)).toBe(200);
    });
  });

  describe('logout', () => {
    it('POST /auth/logout/ expires all live tokens of the caller and answers {"detail": "Successfully logged out."}', async () => {
      const person = await createPerson(t, 'logout');
      const sdk1 = await tokenFor(t, person, SDK_UA);
      const sdk2 = await tokenFor(t, person, SDK_UA);
      const qfield = await tokenFor(t, person, 'qfield|1.0');
      const browser = await tokenFor(t, person, 'Mozilla/5.0');
      expect(await Promise.all([sdk1, sdk2, qfield, browser].map((token) => statusOf(t, token)))).toEqual([200, 200, 200, 200]);
      const res = await request(t.http).post('/api/v1/auth/logout/').set(auth(sdk1));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(LOGGED_OUT);
      for (const token of [sdk1, sdk2, qfield, browser]) {
        expectError(await whoAmI(t, `Token ${token}`), 401, 'token_authentication_failed');
      }
      // Logging out does not stop the person from logging in again.
      expect(await statusOf(t, await tokenFor(t, person, SDK_UA))).toBe(200);
    });

    it('GET /auth/logout/ does the same', async () => {
      const person = await createPerson(t, 'getlogout');
      const sdk1 = await tokenFor(t, person, SDK_UA);
      const sdk2 = await tokenFor(t, person, 'cli|1.0');
      const res = await request(t.http).get('/api/v1/auth/logout/').set(auth(sdk1));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(LOGGED_OUT);
      expect([await statusOf(t, sdk1), await statusOf(t, sdk2)]).toEqual([401, 401]);
    });

    it("leaves other persons' tokens alone", async () => {
      const alice = await createPerson(t, 'stayin');
      const bob = await createPerson(t, 'leaving');
      const aliceToken = await tokenFor(t, alice, SDK_UA);
      const bobToken = await tokenFor(t, bob, SDK_UA);
      expect((await request(t.http).post('/api/v1/auth/logout/').set(auth(bobToken))).status).toBe(200);
      expect(await statusOf(t, bobToken)).toBe(401);
      expect(await statusOf(t, aliceToken)).toBe(200);
    });

    it('answers 200 with the same body without a token, with an unknown token and with a malformed header', async () => {
      const person = await createPerson(t, 'anonlogout');
      const bystander = await tokenFor(t, person, SDK_UA);
      for (const method of ['post', 'get'] as const) {
        const none = await request(t.http)[method]('/api/v1/auth/logout/');
        const unknown = await request(t.http)[method]('/api/v1/auth/logout/').set('Authorization', `Token ${'y'.repeat(128)}`);
        const malformed = await request(t.http)[method]('/api/v1/auth/logout/').set('Authorization', 'Basic abc');
        for (const [kind, res] of Object.entries({ none, unknown, malformed })) {
          expect({ method, kind, status: res.status, body: res.body }).toEqual({ method, kind, status: 200, body: LOGGED_OUT });
        }
      }
      expect(await statusOf(t, bystander)).toBe(200);
    });

    it('answers 200 when called again with the token it just expired', async () => {
      const person = await createPerson(t, 'twice');
      const token = await tokenFor(t, person, SDK_UA);
      expect((await request(t.http).post('/api/v1/auth/logout/').set(auth(token))).status).toBe(200);
      const again = await request(t.http).post('/api/v1/auth/logout/').set(auth(token));
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: LOGGED_OUT });
    });
  });

  describe('GET /auth/user/', () => {
    it("answers the caller's full person object, fields in the order of §4.1", async () => {
      const person = await createPerson(t, 'me', { first_name: 'Grace', last_name: 'Hopper' });
      const token = await tokenFor(t, person, SDK_UA);
      const res = await whoAmI(t, `Token ${token}`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(PERSON_FIELDS);
      expect(res.body).toEqual({
        username: person.username,
        type: 1,
        full_name: 'Grace Hopper',
        first_name: 'Grace',
        last_name: 'Hopper',
        email: person.email,
        avatar_url: null,
        is_staff: false,
        storage_quota_bytes: t.config.defaultStorageQuotaBytes,
        storage_used_bytes: 0,
      });
    });

    it('answers the staff flag for a staff caller', async () => {
      const res = await whoAmI(t, `Token ${await t.adminToken()}`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(PERSON_FIELDS);
      expect(res.body).toMatchObject({ username: ADMIN.username, type: 1, email: 'admin@example.com', is_staff: true });
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).get('/api/v1/auth/user/'), 401, 'not_authenticated');
    });
  });
});

describe('Authentication (spec §3), token expiry with AUTH_TOKEN_EXPIRATION_HOURS=0.0005 (1.8 s)', () => {
  const LIFETIME_MS = 0.0005 * HOUR_MS;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_TOKEN_EXPIRATION_HOURS: '0.0005' });
  });
  afterAll(() => t.close());

  /** Only the admin exists here: creating persons needs an admin token, which would expire under us. */
  const adminLogin = () => login(t, { username: ADMIN.username, password: ADMIN.password }, { userAgent: SDK_UA });

  it('answers expires_at = issue time + the configured (fractional) hours', async () => {
    const before = Date.now();
    const res = await adminLogin();
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.body.expires_at).toMatch(ISO_UTC);
    const expiresAt = Date.parse(res.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + LIFETIME_MS - 100);
    expect(expiresAt).toBeLessThanOrEqual(after + LIFETIME_MS + 100);
  });

  it('a token works until it expires, then answers 401 token_authentication_failed; using it does not slide the expiry', async () => {
    const res = await adminLogin();
    const issuedBy = Date.now();
    const token = res.body.token as string;
    expect(await statusOf(t, token)).toBe(200);
    // Used late in its life: a sliding expiry would keep it alive until about issue + 1.0 s + 1.8 s.
    await sleepUntil(issuedBy + 1000);
    expect(await statusOf(t, token)).toBe(200);
    await sleepUntil(Math.max(Date.parse(res.body.expires_at), issuedBy + LIFETIME_MS) + 250);
    expectError(await whoAmI(t, `Token ${token}`), 401, 'token_authentication_failed');
    // The person can still log in and get a working token.
    expect(await statusOf(t, (await adminLogin()).body.token)).toBe(200);
  });

  it('anonymous endpoints ignore an expired token', async () => {
    const res = await adminLogin();
    const token = res.body.token as string;
    await sleepUntil(Date.parse(res.body.expires_at) + 250);
    expect(await statusOf(t, token)).toBe(401);
    expect((await request(t.http).get('/api/v1/status/').set(auth(token))).status).toBe(200);
    const logout = await request(t.http).post('/api/v1/auth/logout/').set(auth(token));
    expect({ status: logout.status, body: logout.body }).toEqual({ status: 200, body: LOGGED_OUT });
  });
});

describe('Authentication (spec §3), login lock-out with LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=0.03 (1.8 s)', () => {
  const LOCK_MS = 0.03 * 60_000;
  let t: TestApp;
  let ipCounter = 0;
  /** Each test uses its own client IP(s) (TRUST_PROXY=true: X-Forwarded-For is the client IP), so their counts never mix. */
  const newIp = () => `203.0.113.${++ipCounter}`;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MINUTES: '0.03', TRUST_PROXY: 'true' });
  });
  afterAll(() => t.close());

  const attempt = (identifier: string, password: string, ip: string, field: 'username' | 'email' = 'username') =>
    login(t, { [field]: identifier, password }, { ip, userAgent: SDK_UA });
  const expectFailed = async (res: Promise<request.Response>) => expectError(await res, 401, 'authentication_failed');
  const expectLocked = async (res: Promise<request.Response>) => expectError(await res, 401, 'too_many_failed_login_attempts');
  const expectOk = async (res: Promise<request.Response>) => expect((await res).status).toBe(200);

  it('answers the first 3 failures with authentication_failed, then even the right password with too_many_failed_login_attempts', async () => {
    const person = await createPerson(t, 'lock');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    await expectLocked(attempt(person.username, person.password, ip));
    await expectLocked(attempt(person.username, 'wrong-4', ip));
  });

  it('locks per client IP: another IP is not locked', async () => {
    const person = await createPerson(t, 'otherip');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(person.username, `wrong-${i}`, ip));
    await expectLocked(attempt(person.username, person.password, ip));
    await expectOk(attempt(person.username, person.password, newIp()));
  });

  it('counts failures per client IP: failures from two IPs do not add up', async () => {
    const person = await createPerson(t, 'splitip');
    const [ipA, ipB] = [newIp(), newIp()];
    for (const ip of [ipA, ipB, ipA, ipB]) await expectFailed(attempt(person.username, 'wrong', ip));
    await expectOk(attempt(person.username, person.password, ipA));
    await expectOk(attempt(person.username, person.password, ipB));
  });

  it('locks per account: another account on the same IP is not locked', async () => {
    const locked = await createPerson(t, 'lockedacct');
    const free = await createPerson(t, 'freeacct');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(locked.username, `wrong-${i}`, ip));
    await expectLocked(attempt(locked.username, locked.password, ip));
    await expectOk(attempt(free.username, free.password, ip));
  });

  it('resolves a username and an e-mail address, in any case, to the same account', async () => {
    const person = await createPerson(t, 'Resolve');
    const ip = newIp();
    await expectFailed(attempt(person.username.toUpperCase(), 'wrong-1', ip));
    await expectFailed(attempt(person.email, 'wrong-2', ip));
    await expectFailed(attempt(person.email.toUpperCase(), 'wrong-3', ip, 'email'));
    await expectLocked(attempt(person.username, person.password, ip));
    await expectLocked(attempt(person.username.toLowerCase(), person.password, ip));
    await expectLocked(attempt(person.email, person.password, ip, 'email'));
    await expectLocked(attempt(person.email.toUpperCase(), person.password, ip));
  });

  it('locks a name that resolves to nothing by its lower-cased name', async () => {
    const ghost = uniqueName('Ghost');
    const other = uniqueName('ghost');
    const ip = newIp();
    await expectFailed(attempt(ghost, 'wrong-1', ip));
    await expectFailed(attempt(ghost.toUpperCase(), 'wrong-2', ip));
    await expectFailed(attempt(ghost.toLowerCase(), 'wrong-3', ip));
    await expectLocked(attempt(ghost, 'wrong-4', ip));
    await expectLocked(attempt(ghost.toUpperCase(), 'wrong-5', ip));
    await expectFailed(attempt(other, 'wrong-1', ip));
  });

  it('a success resets the count (2 failures, success, 2 failures: not locked)', async () => {
    const person = await createPerson(t, 'reset');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    await expectOk(attempt(person.username, person.password, ip));
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    await expectFailed(attempt(person.username, 'wrong-4', ip));
    await expectOk(attempt(person.username, person.password, ip));
  });

  it("failures older than the lock's length no longer count", async () => {
    const person = await createPerson(t, 'stale');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    await sleep(LOCK_MS + 300);
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    await expectFailed(attempt(person.username, 'wrong-4', ip));
    await expectOk(attempt(person.username, person.password, ip));
  });

  it("the lock lasts LOGIN_LOCKOUT_MINUTES from the last counted failure; attempts during it do not extend it", async () => {
    const person = await createPerson(t, 'noextend');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    const lockStartedAfter = Date.now();
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    const lockStartedBy = Date.now();
    // Late in the lock, wrong and right passwords are both refused.
    await sleepUntil(lockStartedAfter + 1300);
    await expectLocked(attempt(person.username, 'wrong-4', ip));
    await expectLocked(attempt(person.username, person.password, ip));
    // Had those attempts extended the lock, it would now run until about 1.3 s + 1.8 s after it started.
    await sleepUntil(lockStartedBy + LOCK_MS + 250);
    await expectOk(attempt(person.username, person.password, ip));
  });

  it('after the lock ends, counting starts afresh: attempts made during the lock are not counted as failures', async () => {
    const person = await createPerson(t, 'afresh');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(person.username, `wrong-${i}`, ip));
    const lockStartedBy = Date.now();
    await sleepUntil(lockStartedBy + 600);
    await expectLocked(attempt(person.username, 'wrong-during-1', ip));
    await expectLocked(attempt(person.username, 'wrong-during-2', ip));
    await sleepUntil(lockStartedBy + LOCK_MS + 250);
    await expectFailed(attempt(person.username, 'wrong-after-1', ip));
    await expectOk(attempt(person.username, person.password, ip));
  });

  it('counts concurrent failures exactly: of 6 parallel wrong attempts, 3 fail and 3 are locked out', async () => {
    const person = await createPerson(t, 'parallel');
    const ip = newIp();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => attempt(person.username, `wrong-${i}`, ip)));
    const codes = results.map((res) => `${res.status} ${res.body.code}`).sort();
    expect(codes).toEqual([
      '401 authentication_failed',
      '401 authentication_failed',
      '401 authentication_failed',
      '401 too_many_failed_login_attempts',
      '401 too_many_failed_login_attempts',
      '401 too_many_failed_login_attempts',
    ]);
  });

  it('keeps the lock-out state in PostgreSQL: a second instance on the same database sees the lock', async () => {
    const person = await createPerson(t, 'shared');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(person.username, `wrong-${i}`, ip));
    const second = await createApp(t.config);
    try {
      const res = await request(second.app.getHttpServer())
        .post('/api/v1/auth/login/')
        .set('X-Forwarded-For', ip)
        .send({ username: person.username, password: person.password });
      expectError(res, 401, 'too_many_failed_login_attempts');
      const otherIp = await request(second.app.getHttpServer())
        .post('/api/v1/auth/login/')
        .set('X-Forwarded-For', newIp())
        .set('User-Agent', SDK_UA)
        .send({ username: person.username, password: person.password });
      expect(otherIp.status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
