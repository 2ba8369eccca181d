import request from 'supertest';
import { ADMIN, auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError } from './support/expectations.js';
import { accountId, newPerson, uniqueName, type Person } from './support/kit.js';
import {
  HOUR_MS,
  insertGroupAccount,
  ISO_UTC,
  LOGGED_OUT,
  LOGIN_FIELDS,
  LOGIN_PATHS,
  login,
  PERSON_FIELDS,
  SDK_UA,
  statusOf,
  tokenFor,
  whoAmI,
} from './support/auth-fixtures.js';

/**
 * Spec §3 (authentication), one rule per test, against the real app and a real PostgreSQL, in the
 * default configuration; auth-expiry.e2e.spec.ts has the short token expiry and the login lock-out.
 */

describe('Authentication (spec §3), default configuration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('login', () => {
    it('answers the same at /auth/login/ and /auth/token/, with and without the trailing slash', async () => {
      const person = await newPerson(t, 'same');
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
      const person = await newPerson(t, 'body', { first_name: 'Ada', last_name: 'Lovelace' });
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
      const person = await newPerson(t, 'CaseName');
      for (const given of [person.username.toLowerCase(), person.username.toUpperCase()]) {
        const res = await login(t, { username: given, password: person.password }, { userAgent: SDK_UA });
        expect({ given, status: res.status, username: res.body.username }).toEqual({ given, status: 200, username: person.username });
      }
    });

    it('logs in by e-mail address in the username field, case-insensitively', async () => {
      const person = await newPerson(t, 'byemail');
      for (const given of [person.email, person.email.toUpperCase()]) {
        const res = await login(t, { username: given, password: person.password }, { userAgent: SDK_UA });
        expect({ given, status: res.status, username: res.body.username }).toEqual({ given, status: 200, username: person.username });
      }
    });

    it('accepts an `email` field instead of `username`', async () => {
      const person = await newPerson(t, 'emailfield');
      for (const given of [person.email, person.email.toUpperCase()]) {
        const res = await login(t, { email: given, password: person.password }, { userAgent: SDK_UA });
        expect({ given, status: res.status, username: res.body.username }).toEqual({ given, status: 200, username: person.username });
      }
    });

    it('accepts JSON, form and multipart bodies on both login paths', async () => {
      const person = await newPerson(t, 'bodies');
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
      const person = await newPerson(t, 'nopass');
      const res = await login(t, { username: person.username });
      expectError(res, 400, 'validation_error');
      expect(Object.keys(res.body.detail)).toEqual(['password']);
    });

    it('answers a wrong password with 401 authentication_failed', async () => {
      const person = await newPerson(t, 'wrongpw');
      expectError(await login(t, { username: person.username, password: `${person.password}x` }), 401, 'authentication_failed');
      expectError(await login(t, { email: person.email, password: 'not-the-password' }), 401, 'authentication_failed');
    });

    it('answers an unknown username or e-mail with 401 authentication_failed', async () => {
      expectError(await login(t, { username: uniqueName('nobody'), password: 'some-password' }), 401, 'authentication_failed');
      expectError(await login(t, { username: `${uniqueName('nobody')}@example.com`, password: 'some-password' }), 401, 'authentication_failed');
    });

    it('refuses an inactive person with 401 authentication_failed, even with the right password', async () => {
      const person = await newPerson(t, 'inactive');
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
      const person = await newPerson(t, 'orgpw');
      const org = uniqueName('org');
      const team = `@${org}/${uniqueName('team')}`;
      const orgId = await insertGroupAccount(t, {
        type: 2,
        username: org,
        email: `${org}@example.com`,
        passwordHashOf: person.username,
        ownerId: await accountId(t, person.username),
      });
      await insertGroupAccount(t, { type: 3, username: team, passwordHashOf: person.username, ownerId: orgId });
      expectError(await login(t, { username: org, password: person.password }), 401, 'authentication_failed');
      expectError(await login(t, { username: `${org}@example.com`, password: person.password }), 401, 'authentication_failed');
      expectError(await login(t, { username: team, password: person.password }), 401, 'authentication_failed');
      // The same hash still opens the person's own account: the refusals above are about the account type.
      expect((await login(t, { username: person.username, password: person.password }, { userAgent: SDK_UA })).status).toBe(200);
    });

    it('logs a person in by e-mail even when an organization has the same e-mail address', async () => {
      const person = await newPerson(t, 'sharedmail');
      const org = uniqueName('mailorg');
      await insertGroupAccount(t, { type: 2, username: org, email: person.email.toUpperCase(), ownerId: await accountId(t, person.username) });
      const res = await login(t, { username: person.email, password: person.password }, { userAgent: SDK_UA });
      expect({ status: res.status, username: res.body.username }).toEqual({ status: 200, username: person.username });
    });

    it('issues tokens of at least 100 characters, different at every login', async () => {
      const person = await newPerson(t, 'toklen');
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
      const person = await newPerson(t, 'expdefault');
      const before = Date.now();
      const res = await login(t, { username: person.username, password: person.password }, { userAgent: SDK_UA });
      const after = Date.now();
      expect(res.status).toBe(200);
      const expiresAt = Date.parse(res.body.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 720 * HOUR_MS - 1000);
      expect(expiresAt).toBeLessThanOrEqual(after + 720 * HOUR_MS + 1000);
    });

    it('locks an account out after the default of 5 failures (LOGIN_MAX_FAILURES default)', async () => {
      const person = await newPerson(t, 'default5');
      for (let i = 1; i <= 5; i++) {
        expectError(await login(t, { username: person.username, password: `wrong-${i}` }), 401, 'authentication_failed');
      }
      expectError(await login(t, { username: person.username, password: person.password }), 401, 'too_many_failed_login_attempts');
    });

    it('takes the client IP from the peer, not from X-Forwarded-For, when no proxy is trusted (TRUST_PROXY default)', async () => {
      const person = await newPerson(t, 'spoof');
      for (let i = 1; i <= 5; i++) {
        expectError(await login(t, { username: person.username, password: `wrong-${i}` }, { ip: `198.51.100.${i}` }), 401, 'authentication_failed');
      }
      expectError(await login(t, { username: person.username, password: person.password }, { ip: '198.51.100.99' }), 401, 'too_many_failed_login_attempts');
    });
  });

  describe('storage of secrets', () => {
    it('stores only a hash of a token, never the token itself', async () => {
      const person = await newPerson(t, 'hashonly');
      const token = await tokenFor(t, person, SDK_UA);
      const rows = await t.sql<{ row: string; key_hash: string }>(
        `SELECT row_to_json(t)::text AS row, t.key_hash FROM auth_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = $1`,
        [person.username],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].key_hash.trim()).not.toBe(token);
      expect(rows[0].row).not.toContain(token);
      const [{ n }] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM auth_tokens t WHERE position($1 IN row_to_json(t)::text) > 0`, [token]);
      expect(n).toBe(0);
      // The stored hash still identifies the token.
      expect(await statusOf(t, token)).toBe(200);
    });

    it('stores passwords with a memory-hard hash (scrypt or argon2id), never in clear', async () => {
      const person = await newPerson(t, 'pwhash');
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
      const person = await newPerson(t, 'lastused');
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
      await t.sql(`UPDATE auth_tokens SET last_used_at = now() - interval '1 hour' WHERE account_id = (SELECT id FROM accounts WHERE username = $1)`, [
        person.username,
      ]);
      expect(await statusOf(t, token)).toBe(200);
      expect((await lastUsed())!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });
  });

  describe('Authorization header', () => {
    let person: Person;
    let token: string;
    beforeAll(async () => {
      person = await newPerson(t, 'header');
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
      const other = await newPerson(t, 'inactivetok');
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
      const person = await newPerson(t, 'ua');
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
      const person = await newPerson(t, 'noua');
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
      const person = await newPerson(t, 'uaexp');
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
      const person = await newPerson(t, 'mixed');
      const sdk = await tokenFor(t, person, SDK_UA);
      const qgis = await tokenFor(t, person, 'Mozilla/5.0 QGIS/33400/Linux');
      const qfield1 = await tokenFor(t, person, 'qfield|1.0');
      const qfield2 = await tokenFor(t, person, 'qfield|1.0');
      expect(await statusOf(t, qfield1)).toBe(401);
      expect([await statusOf(t, sdk), await statusOf(t, qgis), await statusOf(t, qfield2)]).toEqual([200, 200, 200]);
    });

    it("a login expires only the same person's tokens", async () => {
      const alice = await newPerson(t, 'alice');
      const bob = await newPerson(t, 'bob');
      const aliceToken = await tokenFor(t, alice, 'qfield|1.0');
      const bobToken = await tokenFor(t, bob, 'qfield|1.0');
      await tokenFor(t, bob, 'qfield|1.0');
      expect(await statusOf(t, bobToken)).toBe(401);
      expect(await statusOf(t, aliceToken)).toBe(200);
    });
  });

  describe('logout', () => {
    it('POST /auth/logout/ expires all live tokens of the caller and answers {"detail": "Successfully logged out."}', async () => {
      const person = await newPerson(t, 'logout');
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
      const person = await newPerson(t, 'getlogout');
      const sdk1 = await tokenFor(t, person, SDK_UA);
      const sdk2 = await tokenFor(t, person, 'cli|1.0');
      const res = await request(t.http).get('/api/v1/auth/logout/').set(auth(sdk1));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(LOGGED_OUT);
      expect([await statusOf(t, sdk1), await statusOf(t, sdk2)]).toEqual([401, 401]);
    });

    it("leaves other persons' tokens alone", async () => {
      const alice = await newPerson(t, 'stayin');
      const bob = await newPerson(t, 'leaving');
      const aliceToken = await tokenFor(t, alice, SDK_UA);
      const bobToken = await tokenFor(t, bob, SDK_UA);
      expect((await request(t.http).post('/api/v1/auth/logout/').set(auth(bobToken))).status).toBe(200);
      expect(await statusOf(t, bobToken)).toBe(401);
      expect(await statusOf(t, aliceToken)).toBe(200);
    });

    it('answers 200 with the same body without a token, with an unknown token and with a malformed header', async () => {
      const person = await newPerson(t, 'anonlogout');
      const bystander = await tokenFor(t, person, SDK_UA);
      for (const method of ['post', 'get'] as const) {
        const none = await request(t.http)[method]('/api/v1/auth/logout/');
        const unknownToken = `Token ${'y'.repeat(128)}`;
        const unknown = await request(t.http)[method]('/api/v1/auth/logout/').set('Authorization', unknownToken);
        const malformed = await request(t.http)[method]('/api/v1/auth/logout/').set('Authorization', 'Basic abc');
        for (const [kind, res] of Object.entries({ none, unknown, malformed })) {
          expect({ method, kind, status: res.status, body: res.body }).toEqual({ method, kind, status: 200, body: LOGGED_OUT });
        }
      }
      expect(await statusOf(t, bystander)).toBe(200);
    });

    it('answers 200 when called again with the token it just expired', async () => {
      const person = await newPerson(t, 'twice');
      const token = await tokenFor(t, person, SDK_UA);
      expect((await request(t.http).post('/api/v1/auth/logout/').set(auth(token))).status).toBe(200);
      const again = await request(t.http).post('/api/v1/auth/logout/').set(auth(token));
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: LOGGED_OUT });
    });
  });

  describe('GET /auth/user/', () => {
    it("answers the caller's full person object, fields in the order of §4.1", async () => {
      const person = await newPerson(t, 'me', { first_name: 'Grace', last_name: 'Hopper' });
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
